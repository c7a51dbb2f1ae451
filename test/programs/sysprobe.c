/* Calls each syscall number given on the command line with invalid arguments (-1 everywhere),
 * each in its own child with a one-second alarm, and prints "NR RESULT" per line: "ok", an
 * errno name, or "signal N". Run under two seccomp policies, the outputs differ exactly where
 * a filter intervened. The ioctl pseudo-numbers -1 / -2 try TIOCSTI with the low and a
 * 64-bit-extended command (the filter must compare the low 32 bits). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long attempt(long nr) {
  char c = 'x';
  if (nr == -1) return syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c);
  if (nr == -2) return syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &c);
  return syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    long nr = strtol(argv[i], NULL, 10);
    int pipefd[2];
    if (pipe(pipefd) < 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      close(pipefd[0]);
      alarm(1);
      errno = 0;
      long r = attempt(nr);
      const char *what = r < 0 ? strerrorname_np(errno) : "ok";
      if (write(pipefd[1], what, strlen(what)) < 0) _exit(2);
      _exit(0);
    }
    close(pipefd[1]);
    char buf[64] = {0};
    ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
    close(pipefd[0]);
    int status;
    /* only our child: a syscall may have made grandchildren */
    waitpid(pid, &status, 0);
    if (n > 0) printf("%ld %s\n", nr, buf);
    else if (WIFSIGNALED(status)) printf("%ld signal %d\n", nr, WTERMSIG(status));
    else printf("%ld none\n", nr);
  }
  return 0;
}
