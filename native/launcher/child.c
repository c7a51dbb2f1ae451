#include "child.h"

#include "steps.h"
#include "sys.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

/* Signals init keeps to itself: the uncatchable ones, those the kernel raises for a fault in
 * init's own code, and the two glibc reserves for its threads. All others go to the command. */
static int kept_by_init(int sig) {
  return sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
         sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS || (sig > SIGSYS && sig < SIGRTMIN);
}

/* Open a pty from the container's own devpts and hand the master to the launcher. */
static int open_pty(const struct plan *plan, int sock, int err_fd) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail_step(err_fd, plan->argv_index, errno);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail_step(err_fd, plan->argv_index, errno);
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail_step(err_fd, plan->argv_index, errno);
  if (send_fd(sock, master) < 0) fail_step(err_fd, plan->argv_index, errno);
  close(master);
  /* Wait until the launcher has placed it (relay, or an engine's console socket). */
  char placed;
  if (read_full(sock, &placed, 1) != 1) _exit(125);
  close(sock);
  return slave;
}

/* Everything the kernel and Node left us that the command must not inherit is reset here. */
static void __attribute__((noreturn)) exec_command(const struct plan *plan, int slave, int err_fd) {
  sigset_t none;
  if (setsid() < 0) fail_step(err_fd, plan->argv_index, errno);
  if (slave >= 0) {
    if (ioctl(slave, TIOCSCTTY, 0) < 0) fail_step(err_fd, plan->argv_index, errno);
    for (int fd = 0; fd < 3; fd++)
      if (dup2(slave, fd) < 0) fail_step(err_fd, plan->argv_index, errno);
  }
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* Mark, not close: the error pipe must stay open until exec succeeds. */
  if (sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail_step(err_fd, plan->argv_index, errno);
  environ = plan->env;
  execvp(plan->cmd[0], plan->cmd);
  fail_step(err_fd, plan->argv_index, errno);
}

static void noop(int sig) { (void)sig; }

/* pid 1: forward every signal to the command, reap every orphan, leave with the command's status.
 * When init exits the kernel kills whatever else is left in the PID namespace. */
static void __attribute__((noreturn)) init_loop(pid_t cmd) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (int sig = 1; sig < NSIG; sig++) {
    if (kept_by_init(sig)) continue;
    /* A handler, not SIG_DFL: pid 1 never receives default-disposition signals. */
    signal(sig, noop);
    sigaddset(&set, sig);
  }
  sigprocmask(SIG_BLOCK, &set, NULL);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(cmd, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
      if (p != cmd) continue;
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
}

/* The plan the launcher passes on once the maps are written (checked there: it has a command). */
static void read_plan_from(int fd, struct plan *plan) {
  uint32_t len;
  if (read_full(fd, &len, sizeof(len)) != sizeof(len)) _exit(125);
  unsigned char *buf = malloc(len ? len : 1);
  if (!buf || read_full(fd, buf, len) != (ssize_t)len || plan_decode(buf, len, plan) < 0) _exit(125);
  close(fd);
}

void child_main(const struct child_fds *fds) {
  struct plan full, *plan = &full;
  /* Die with the launcher; the go pipe covers the race where it is already gone. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  read_plan_from(fds->go_rd, plan);

  steps_run(plan, fds->err_wr);
  int slave = plan->tty ? open_pty(plan, fds->tty_sock, fds->err_wr) : -1;
  /* OCI create: all is set up; the command runs when `start` writes to the gate. */
  if (start_gate >= 0) ctl_send("READY");
  close(CTL_FD);
  if (start_gate >= 0) {
    char byte;
    if (read_full(start_gate, &byte, 1) != 1) _exit(125);
    close(start_gate);
  }

  if (!plan->init) exec_command(plan, slave, fds->err_wr);
  pid_t cmd = fork();
  if (cmd < 0) fail_step(fds->err_wr, plan->argv_index, errno);
  if (cmd == 0) exec_command(plan, slave, fds->err_wr);
  close(fds->err_wr);
  if (slave >= 0) close(slave);
  /* init holds no cwd in the image so that it pins nothing the command might unmount. */
  if (chdir("/") < 0) _exit(125);
  init_loop(cmd);
}
