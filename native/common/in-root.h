/* Opening a path inside a directory tree, never outside it: shared by the addon and the
 * unpacker. RESOLVE_IN_ROOT treats the root as "/" for "..", absolute names and symlinks. */
#ifndef MINICTL_IN_ROOT_H
#define MINICTL_IN_ROOT_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int openat2_in_root(int root, const char *path, int flags) {
  struct open_how how = {
    .flags = (unsigned long long)(flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd;
  /* EAGAIN: a concurrent rename raced the lookup; try again. */
  do fd = (int)syscall(SYS_openat2, root, path[0] ? path : ".", &how, sizeof(how));
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

#endif
