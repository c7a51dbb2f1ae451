#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The child runs on this stack while the parent thread waits (CLONE_VFORK). */
#define CHILD_STACK (64 * 1024)

struct child_args {
  const struct spawn_req *req;
  int exe;         /* the sealed copy, or -1 */
  const int *from; /* what becomes fd i; all above the child's range, so no dup2 clobbers one */
  volatile int err; /* written by the child when it cannot exec: memory is shared */
};

static int child_main(void *p) {
  struct child_args *a = p;
  const struct spawn_req *req = a->req;
  /* Node ignores SIGPIPE, and an ignored signal stays ignored across exec. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
  if (req->new_session && setsid() < 0) goto fail;
  for (int i = 0; i < req->nfds; i++)
    if (dup2(a->from[i], i) < 0) goto fail;
  /* Everything else closes at exec, whoever opened it without O_CLOEXEC (the sealed copy is
   * run through its fd, which execveat allows for a close-on-exec fd). */
  if (syscall(SYS_close_range, req->nfds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) goto fail;
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) goto fail;
  if (a->exe >= 0)
    syscall(SYS_execveat, a->exe, "", req->argv, environ, AT_EMPTY_PATH);
  else
    execvpe(req->file, req->argv, environ);
fail:
  a->err = errno ? errno : EINVAL;
  _exit(127);
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* A sealed in-memory copy of file: what runs from it cannot be rewritten through
 * /proc/PID/exe, even by a container whose root owns the file on disk (CVE-2019-5736). */
static int sealed_copy(const char *file) {
  int src = open(file, O_RDONLY | O_CLOEXEC);
  if (src < 0) return -errno;
  const char *base = strrchr(file, '/');
  /* MFD_EXEC says so to kernels (6.3+) that otherwise warn or, by vm.memfd_noexec, refuse. */
  int mem = memfd_create(base ? base + 1 : file, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mem < 0 && errno == EINVAL) mem = memfd_create(base ? base + 1 : file, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  int err = 0;
  if (mem < 0 || fstat(src, &st) < 0) {
    err = -errno;
    goto out;
  }
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile(mem, src, NULL, (size_t)left);
    if (n <= 0) {
      err = n < 0 ? -errno : -EIO;
      goto out;
    }
    left -= n;
  }
  if (fcntl(mem, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) err = -errno;
out:
  close(src);
  if (err) {
    if (mem >= 0) close(mem);
    return err;
  }
  return mem;
}

/* clone + exec of the prepared request; 0 and *pid, or the child's -errno. */
static int clone_exec(const struct spawn_req *req, int exe, const int *from, pid_t *pid) {
  void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -errno;
  /* No handler of this process may run in the child before it resets them. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  struct child_args a = {req, exe, from, 0};
  pid_t p = clone(child_main, (char *)stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  int err = p < 0 ? -errno : 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, CHILD_STACK);
  if (p > 0 && a.err) {
    err = -a.err;
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {
    }
  } else if (p > 0) {
    *pid = p;
  }
  return err;
}

int spawn_process(const struct spawn_req *req, pid_t *pid) {
  int err = 0, devnull = -1, from[16];
  if (req->nfds < 0 || req->nfds > (int)(sizeof(from) / sizeof(from[0]))) return -EINVAL;
  for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) from[i] = -1;
  /* Best effort, as runc's and crun's copies are: where memfds are unavailable or may not be
   * executed (vm.memfd_noexec), the file itself runs, and is busy (ETXTBSY) while it does. */
  int exe = req->sealed_copy ? sealed_copy(req->file) : -1;
  if (exe < 0) exe = -1;
  for (int i = 0; i < req->nfds; i++) {
    int src = req->fds[i];
    if (src < 0) {
      if (devnull < 0 && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) goto fail;
      src = devnull;
    }
    if ((from[i] = fcntl(src, F_DUPFD_CLOEXEC, req->nfds)) < 0) goto fail;
  }
  err = clone_exec(req, exe, from, pid);
  if (err == -EACCES && exe >= 0) err = clone_exec(req, -1, from, pid);
  goto out;
fail:
  err = -errno;
out:
  for (int i = 0; i < req->nfds; i++)
    if (from[i] >= 0) close(from[i]);
  if (devnull >= 0) close(devnull);
  if (exe >= 0) close(exe);
  return err;
}

static void *run_job(void *p) {
  struct spawn_job *job = p;
  job->err = spawn_process(&job->req, &job->pid);
  return NULL;
}

void spawn_start(struct spawn_job *jobs, int n) {
  for (int i = 0; i < n; i++) jobs[i].threaded = pthread_create(&jobs[i].thread, NULL, run_job, &jobs[i]) == 0;
}

void spawn_join(struct spawn_job *jobs, int n) {
  for (int i = 0; i < n; i++) {
    if (jobs[i].threaded)
      pthread_join(jobs[i].thread, NULL);
    else
      run_job(&jobs[i]);
    jobs[i].threaded = 0;
  }
}

int spawn_wait(pid_t pid, int nohang, int *status) {
  for (;;) {
    pid_t r = waitpid(pid, status, nohang ? WNOHANG : 0);
    if (r == pid) return 0;
    if (r == 0) {
      *status = -1;
      return 0;
    }
    if (errno != EINTR) return -errno;
  }
}

int pidfd_of(pid_t pid) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  return fd < 0 ? -errno : fd;
}

int pidfd_signal(int pidfd, int sig) { return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0; }

int wait_readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r = poll(&p, 1, timeout_ms);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  return r;
}
