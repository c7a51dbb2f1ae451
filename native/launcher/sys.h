/* Thin wrappers for system calls glibc does not wrap on every supported distribution. */
#ifndef MINICTL_SYS_H
#define MINICTL_SYS_H

#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static inline int sys_fsopen(const char *fs, unsigned flags) { return (int)syscall(SYS_fsopen, fs, flags); }
static inline int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *val, int aux) {
  return (int)syscall(SYS_fsconfig, fd, cmd, key, val, aux);
}
static inline int sys_fsmount(int fd, unsigned flags, unsigned attrs) { return (int)syscall(SYS_fsmount, fd, flags, attrs); }
static inline int sys_open_tree(int dfd, const char *path, unsigned flags) { return (int)syscall(SYS_open_tree, dfd, path, flags); }
static inline int sys_move_mount(int fdf, const char *pf, int fdt, const char *pt, unsigned flags) {
  return (int)syscall(SYS_move_mount, fdf, pf, fdt, pt, flags);
}
static inline int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *a) {
  return (int)syscall(SYS_mount_setattr, dfd, path, flags, a, sizeof(*a));
}
static inline int sys_pivot_root(const char *n, const char *o) { return (int)syscall(SYS_pivot_root, n, o); }
static inline int sys_close_range(unsigned first, unsigned last, unsigned flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}

#endif
