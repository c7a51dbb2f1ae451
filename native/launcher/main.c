/* minictl-launcher: a small single-threaded executable that Node spawns to start one
 * container. Node is multithreaded, and the kernel refuses CLONE_NEWUSER to such a process;
 * here there is one thread and a clean signal and fd state. Node runs it from a sealed
 * in-memory copy (native/src/spawn.c), so that the container's init, which is this program,
 * exposes no writable host file as /proc/1/exe (the runc CVE-2019-5736 attack).
 *
 * Protocol on fd 3 (a socketpair with Node):
 *   Node -> launcher   the prelude: a plan (u32 magic "MCP1", u32 length, steps: plan.h) of
 *                      the steps needed before clone (OP_CONFIG, OP_SETNS), sent as soon as
 *                      Node knows them, so that the namespaces are made while it works out the rest
 *   launcher -> Node   "PID <pid>"          the child exists; write its id maps (MAPS_PLS)
 *   Node -> launcher   the whole plan, which the launcher passes on to the child
 *   Node -> launcher   "HELPER <pid>"       a host-side helper to stop when the launcher exits
 *   Node -> launcher   "GO"                 maps written (MAPS_ACK); anything else aborts
 *   launcher -> Node   "WARN <step> <errno>" a step used its fallback
 *   launcher -> Node   "ERR <step> <errno>"  a step failed (step -1: clone itself)
 *   launcher -> Node   "STARTED"            the command was executed
 * The launcher's exit status is the container's: the command's, 128+N for signal N, or
 * 125 / 126 / 127 for a runtime failure, a command that cannot run, a command not found. */

#include "child.h"
#include "plan.h"
#include "relay.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


static const int relayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* One plan from Node. raw (optional) gets a copy of its bytes as sent, before decoding
 * rewrites them in place: the child decodes its own. */
static int read_plan(struct plan *plan, unsigned char **raw, uint32_t *raw_len) {
  uint32_t head[2];
  if (read_full(CTL_FD, head, sizeof(head)) != sizeof(head) || head[0] != PLAN_MAGIC || head[1] > (64u << 20))
    return -1;
  unsigned char *buf = malloc(head[1] ? head[1] : 1);
  if (!buf || read_full(CTL_FD, buf, head[1]) != (ssize_t)head[1]) return -1;
  if (raw) {
    if (!(*raw = malloc(head[1] ? head[1] : 1))) return -1;
    memcpy(*raw, buf, head[1]);
    *raw_len = head[1];
  }
  return plan_decode(buf, head[1], plan);
}

/* The whole plan must run a command and agree with the prelude the namespaces were made by. */
static int matches_prelude(const struct plan *plan, const struct plan *pre) {
  const char *none = "";
  return plan->argv_index >= 0 && plan->clone_flags == pre->clone_flags && plan->tty == pre->tty &&
         strcmp(plan->userns_path ? plan->userns_path : none, pre->userns_path ? pre->userns_path : none) == 0 &&
         strcmp(plan->pidns_path ? plan->pidns_path : none, pre->pidns_path ? pre->pidns_path : none) == 0;
}

/* Host-side helpers Node started for this container (pasta): they do not notice the
 * container's end, so the launcher stops them whenever it exits. */
static pid_t helpers[8];
static int nhelpers;

static void stop_helpers(void) {
  for (int i = 0; i < nhelpers; i++) kill(helpers[i], SIGTERM);
}

/* Node's answer to PID: "HELPER <pid>" lines, then "GO" (or anything else to abort). */
static int wait_go(void) {
  char buf[256];
  size_t len = 0;
  for (;;) {
    char *nl;
    while ((nl = memchr(buf, '\n', len))) {
      *nl = '\0';
      if (strcmp(buf, "GO") == 0) return 0;
      if (strncmp(buf, "HELPER ", 7) != 0) return -1;
      if (nhelpers < (int)(sizeof(helpers) / sizeof(helpers[0]))) helpers[nhelpers++] = (pid_t)atoi(buf + 7);
      len -= (size_t)(nl + 1 - buf);
      memmove(buf, nl + 1, len);
    }
    ssize_t n = read(CTL_FD, buf + len, sizeof(buf) - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || len + (size_t)n >= sizeof(buf)) return -1;
    len += (size_t)n;
  }
}

/* The container will not run: kill the child, reap it, and leave as a runtime failure. */
static int end_child(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return 125;
}

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

/* A detached container's status, for `minictl ps` and `state` (written whole, then renamed). */
static void record_exit(const char *file, int status) {
  char tmp[4096], line[16];
  int n = snprintf(tmp, sizeof(tmp), "%s.tmp", file);
  if (n <= 0 || (size_t)n >= sizeof(tmp)) return;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  n = snprintf(line, sizeof(line), "%d\n", status);
  int ok = write_all(fd, line, (size_t)n) == 0;
  close(fd);
  if (ok) rename(tmp, file);
}

static int join_before_clone(const char *path, int nstype) {
  return path ? join_ns_path(path, nstype) : 0;
}

static int failure_code(const struct plan *plan, const struct step_error *e) {
  if (e->step != plan->argv_index) return 125;
  return e->err == ENOENT ? 127 : 126;
}

static int signal_fd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++) sigaddset(&set, relayed[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Supervise the running container until it exits; returns its exit status. */
static int supervise(pid_t pid, int sfd, struct relay *r, int detached) {
  int node_gone = 0;
  for (;;) {
    struct pollfd p[4] = {
      {.fd = sfd, .events = POLLIN},
      {.fd = node_gone ? -1 : CTL_FD, .events = POLLIN},
      {.fd = r->master >= 0 && r->in_open ? STDIN_FILENO : -1, .events = POLLIN},
      {.fd = r->master, .events = POLLIN},
    };
    if (poll(p, 4, -1) < 0) {
      if (errno == EINTR) continue;
      kill(pid, SIGKILL);
    }
    if (p[1].revents) {
      char junk[64];
      if (read(CTL_FD, junk, sizeof(junk)) <= 0) {
        /* Node is gone. Attached, nobody would report the result: take the container down.
         * Detached, that is the plan: the launcher alone supervises it now. */
        if (!detached) kill(pid, SIGKILL);
        node_gone = 1;
      }
    }
    if (p[2].revents) relay_pump(r, STDIN_FILENO);
    if (p[3].revents && relay_pump(r, r->master) < 0) {
      close(r->master);
      r->master = -1;
    }
    if (!(p[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof(si)) != sizeof(si)) continue;
    if (si.ssi_signo == SIGWINCH) {
      relay_resize(r);
    } else if (si.ssi_signo != SIGCHLD) {
      kill(pid, (int)si.ssi_signo);
    } else {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        relay_finish(r);
        return exit_code(status);
      }
    }
  }
}

int main(void) {
  struct plan pre, plan;
  unsigned char *raw = NULL;
  uint32_t raw_len = 0;
  if (fcntl(CTL_FD, F_SETFD, FD_CLOEXEC) < 0) return 125;
  /* No death signal: when Node dies its end of the control socket closes, and the launcher
   * then kills the container and stops the helpers before it exits. */
  atexit(stop_helpers);
  if (read_plan(&pre, NULL, NULL) < 0) {
    ctl_send("ERR -2 %d", EINVAL);
    return 125;
  }
  int sfd = signal_fd();
  int go[2], err[2], tty[2] = {-1, -1};
  if (sfd < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
      (pre.tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty) < 0)) {
    ctl_send("ERR -1 %d", errno);
    return 125;
  }

  /* Joining a user namespace: the launcher enters it first, so that the namespaces clone
   * makes belong to it (and the child has its capabilities there). A pid namespace applies
   * to children only: entered here too, the child is born in it. */
  if (join_before_clone(pre.userns_path, CLONE_NEWUSER) < 0 || join_before_clone(pre.pidns_path, CLONE_NEWPID) < 0) {
    ctl_send("ERR -4 %d", errno);
    return 125;
  }
  pid_t pid = (pid_t)syscall(SYS_clone, pre.clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0) {
    ctl_send("ERR -1 %d", errno);
    return 125;
  }
  if (pid == 0) {
    close(go[1]);
    close(err[0]);
    close(sfd);
    if (tty[0] >= 0) close(tty[0]);
    struct child_fds fds = {.go_rd = go[0], .err_wr = err[1], .tty_sock = tty[1]};
    child_main(&fds);
  }
  close(go[0]);
  close(err[1]);
  if (tty[1] >= 0) close(tty[1]);

  ctl_send("PID %d", pid);
  int plan_ok = read_plan(&plan, &raw, &raw_len) == 0 && matches_prelude(&plan, &pre);
  if (!plan_ok) ctl_send("ERR -2 %d", EINVAL);
  /* Read on past a refused plan: the HELPER lines name what to stop on the way out. */
  if (wait_go() < 0 || !plan_ok) {
    return end_child(pid);
  }
  /* A child killed meanwhile (it may have waited through a long image import) is an error
   * to report, not a SIGPIPE to die of with the helpers left running. */
  signal(SIGPIPE, SIG_IGN);
  int sent = write_all(go[1], &raw_len, sizeof(raw_len)) == 0 && write_all(go[1], raw, raw_len) == 0;
  signal(SIGPIPE, SIG_DFL);
  if (!sent) {
    ctl_send("ERR -1 %d", errno);
    return end_child(pid);
  }
  close(go[1]);
  free(raw);

  struct relay r = {.master = -1};
  int master = plan.tty ? recv_fd(tty[0]) : -1;
  if (master >= 0 && plan.console_socket) {
    /* Whoever drives the container (an engine) gets the terminal; the launcher keeps none. */
    if (send_fd_to(plan.console_socket, master) < 0) {
      ctl_send("ERR -3 %d", errno);
      return end_child(pid);
    }
    close(master);
  } else if (master >= 0) {
    relay_start(&r, master);
  }
  /* The terminal is placed: the child may go on (and only now say READY, so that a failed
   * hand-over is never reported after it). */
  if (tty[0] >= 0) {
    if (master >= 0) write_all(tty[0], "k", 1);
    close(tty[0]);
  }

  struct step_error e;
  ssize_t n = read_full(err[0], &e, sizeof(e));
  close(err[0]);
  if (n == sizeof(e)) {
    int status;
    relay_finish(&r);
    ctl_send("ERR %d %d", e.step, e.err);
    waitpid(pid, &status, 0);
    return failure_code(&plan, &e);
  }
  ctl_send("STARTED");
  int status = supervise(pid, sfd, &r, plan.exit_file != NULL);
  if (plan.exit_file) record_exit(plan.exit_file, status);
  return status;
}
