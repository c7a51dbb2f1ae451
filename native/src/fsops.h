#ifndef MINICTL_FSOPS_H
#define MINICTL_FSOPS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* File primitives inside a directory tree: every path is relative to an open root directory
 * and resolved with openat2(RESOLVE_IN_ROOT), so "..", absolute symlinks and symlinks planted
 * by earlier entries all stay inside the root. Each returns 0 or -errno.
 * An owner of {-1, -1} keeps the creator's ids; others are set (inside a user namespace). */
struct fs_owner {
  int uid, gid;
};
int fs_open_root(const char *path);
int fs_mkfifo(int root, const char *rel, mode_t mode, struct fs_owner owner);
/* Read a whole regular file of at most max bytes into *out (malloc'd); returns its size. */
long fs_read_file(int root, const char *rel, size_t max, char **out);

#ifdef __cplusplus
}
#endif

#endif
