/* The receiving end of an OCI --console-socket, for the tests: listens on PATH, takes one
 * pty master, types INPUT into it and copies what the container prints to stdout until the
 * terminal closes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(s, 1) < 0) return perror("listen"), 1;
  printf("listening\n");
  fflush(stdout);
  int c = accept(s, NULL, NULL);
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  if (c < 0 || recvmsg(c, &msg, 0) <= 0 || !CMSG_FIRSTHDR(&msg)) return perror("recvmsg"), 1;
  int master;
  memcpy(&master, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
  printf("got terminal\n");
  fflush(stdout);
  if (write(master, argv[2], strlen(argv[2])) < 0) return perror("write"), 1;
  char buf[4096];
  ssize_t n;
  while ((n = read(master, buf, sizeof(buf))) > 0) fwrite(buf, 1, (size_t)n, stdout);
  return 0;
}
