#ifndef MINICTL_SPAWN_H
#define MINICTL_SPAWN_H

#include <pthread.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Starting processes without child_process: Node's spawn forks the whole (large) Node process
 * and then waits on pipes it builds for every stdio slot, which costs milliseconds on the
 * path of every container start. This uses clone(CLONE_VM | CLONE_VFORK), as posix_spawn
 * does, and reports a failed exec as an errno. Each returns 0 or -errno. */

struct spawn_req {
  const char *file;   /* a path, or a name looked up on PATH */
  char *const *argv;  /* argv[0] is the name the process gets */
  const int *fds;     /* the child's fd i is fds[i]; -1 gives it /dev/null */
  int nfds;
  int new_session;    /* setsid(): terminal signals reach it only through its parent */
  int sealed_copy;    /* run a sealed in-memory copy of file (no writable /proc/PID/exe) */
};

int spawn_process(const struct spawn_req *req, pid_t *pid);

/* Processes started in the background (the two id map helpers; the launcher of a run, while
 * its options are parsed): a thread each runs spawn_process, so that neither the caller nor
 * the other requests wait out an exec (the parent of a vfork child waits until it has exec'd:
 * ~1 ms for a setuid helper). */
struct spawn_job {
  struct spawn_req req;
  pid_t pid; /* set by spawn_join */
  int err;   /* 0 or -errno, set by spawn_join */
  pthread_t thread;
  int threaded;
};
/* Starts every job; jobs must stay valid until spawn_join. */
void spawn_start(struct spawn_job *jobs, int n);
/* Waits until every job has exec'd (or failed to). */
void spawn_join(struct spawn_job *jobs, int n);

/* waitpid(pid); *status is the raw wait status. With nohang, 0 and *status = -1 while it runs. */
int spawn_wait(pid_t pid, int nohang, int *status);

/* A pidfd for pid (close-on-exec), or -errno: it keeps naming that process even after the pid
 * is recycled, so a signal sent through it cannot reach a stranger. */
int pidfd_of(pid_t pid);
/* Send sig through a pidfd; 0 or -errno (ESRCH once the process has exited). */
int pidfd_signal(int pidfd, int sig);

/* Whether fd has input (or its end) within timeout_ms: 1, 0, or -errno. */
int wait_readable(int fd, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
