#ifndef MINICTL_UTIL_H
#define MINICTL_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/* The control socket to Node (fd 3 of the launcher). */
#define CTL_FD 3

/* What a failing step sends back over the error pipe; errno 0 never appears. */
struct step_error {
  int32_t step;
  int32_t err;
};

int write_all(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);
/* One line-oriented message to Node, e.g. "PID 1234". Best effort: Node may be gone. */
void ctl_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report step failure {step, errno} on fd and exit the child. */
void __attribute__((noreturn)) fail_step(int fd, int step, int err);
/* Send or receive one fd over a unix socket. */
int send_fd(int sock, int fd);
/* Hand fd to whoever listens on the unix socket at path (OCI --console-socket). */
int send_fd_to(const char *path, int fd);
int recv_fd(int sock);
/* setns() into the namespace file at path; errno kept from the failing call. */
int join_ns_path(const char *path, int nstype);

#endif
