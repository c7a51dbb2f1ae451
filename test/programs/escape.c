/* Escape attempts for the hardening tests, one per subcommand; each prints one line:
 *   kill PID          kill(PID, 0)                      -> "kill ok" or "kill ESRCH"
 *   ptrace PID        PTRACE_ATTACH to PID              -> "ptrace ..."
 *   bind PORT         bind a TCP socket to 0.0.0.0:PORT -> "bind ..."
 *   chroot PATH       the classic chroot escape (chroot into a subdirectory, climb with "..",
 *                     chroot "."), then look for PATH   -> "root same|moved, PATH absent|present"
 *   reopen N PATH     open /proc/self/fd/N/PATH         -> "reopen ..." */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

static const char *result(int r) { return r == 0 ? "ok" : strerrorname_np(errno); }

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *what = argv[1];
  if (!strcmp(what, "kill")) {
    printf("kill %s\n", result(kill(atoi(argv[2]), 0)));
  } else if (!strcmp(what, "ptrace")) {
    printf("ptrace %s\n", result((int)ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0) < 0 ? -1 : 0));
  } else if (!strcmp(what, "bind")) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])), .sin_addr.s_addr = htonl(INADDR_ANY)};
    printf("bind %s\n", result(bind(s, (struct sockaddr *)&a, sizeof(a))));
  } else if (!strcmp(what, "chroot")) {
    struct stat before, after;
    stat("/", &before);
    mkdir("/tmp/jail", 0755);
    if (chroot("/tmp/jail") < 0) return printf("chroot %s\n", result(-1)), 0;
    for (int i = 0; i < 64; i++) (void)chdir("..");
    (void)chroot(".");
    stat("/", &after);
    struct stat st;
    printf("root %s, %s %s\n", before.st_ino == after.st_ino && before.st_dev == after.st_dev ? "same" : "moved", argv[2],
           stat(argv[2], &st) == 0 ? "present" : "absent");
  } else if (!strcmp(what, "reopen") && argc > 3) {
    char p[256];
    snprintf(p, sizeof(p), "/proc/self/fd/%s/%s", argv[2], argv[3]);
    int fd = open(p, O_RDONLY);
    printf("reopen %s\n", result(fd < 0 ? -1 : 0));
  } else {
    return 2;
  }
  return 0;
}
