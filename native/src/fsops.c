#include "fsops.h"

#include "../common/in-root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>


/* Split rel into its directory (copied to dir) and last component (pointer into rel). */
static const char *split(const char *rel, char dir[PATH_MAX]) {
  const char *slash = strrchr(rel, '/');
  size_t n = slash ? (size_t)(slash - rel) : 0;
  if (n >= PATH_MAX) n = PATH_MAX - 1;
  memcpy(dir, rel, n);
  dir[n] = '\0';
  return slash ? slash + 1 : rel;
}

static int mkdir_parents(int root, const char *dir);

/* The directory that will hold rel, created (mode 0755) when the archive never listed it. */
static int open_parent(int root, const char *rel, const char **base) {
  char dir[PATH_MAX];
  *base = split(rel, dir);
  int fd = openat2_in_root(root, dir, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ENOENT && mkdir_parents(root, dir) == 0) fd = openat2_in_root(root, dir, O_PATH | O_DIRECTORY);
  return fd;
}

static int mkdir_parents(int root, const char *dir) {
  const char *base;
  if (!dir[0]) return 0;
  int p = open_parent(root, dir, &base);
  if (p < 0) return -1;
  int r = mkdirat(p, base, 0755);
  int e = errno;
  close(p);
  errno = e;
  return r < 0 && errno != EEXIST ? -1 : 0;
}

/* Make room for a new entry: a later archive member replaces an earlier one. */
static int clear_slot(int dir, const char *base) {
  if (unlinkat(dir, base, 0) == 0 || errno == ENOENT) return 0;
  if (errno == EISDIR) return unlinkat(dir, base, AT_REMOVEDIR);
  return -1;
}

static int own_at(int dir, const char *base, struct fs_owner o) {
  if (o.uid < 0 && o.gid < 0) return 0;
  return fchownat(dir, base, (uid_t)o.uid, (gid_t)o.gid, AT_SYMLINK_NOFOLLOW);
}

#define RETURN_ERRNO(expr)            \
  do {                                \
    int r_ = (expr);                  \
    int e_ = errno;                   \
    if (dirfd >= 0) close(dirfd);     \
    return r_ < 0 ? -e_ : 0;          \
  } while (0)

int fs_open_root(const char *path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int fs_mkfifo(int root, const char *rel, mode_t mode, struct fs_owner owner) {
  const char *base;
  int dirfd = open_parent(root, rel, &base);
  if (dirfd < 0) return -errno;
  int r = clear_slot(dirfd, base);
  if (r == 0) r = mknodat(dirfd, base, S_IFIFO | (mode & 07777), 0);
  if (r == 0) r = own_at(dirfd, base, owner);
  if (r == 0) r = fchmodat(dirfd, base, mode & 07777, 0); /* mknodat applied the umask */
  RETURN_ERRNO(r);
}

long fs_read_file(int root, const char *rel, size_t max, char **out) {
  /* O_NONBLOCK: a FIFO where a file should be must not hang us (refused below). */
  int fd = openat2_in_root(root, rel, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return -errno;
  struct stat st;
  int e = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : (size_t)st.st_size > max ? EFBIG : 0;
  if (e) {
    close(fd);
    return -e;
  }
  char *buf = malloc((size_t)st.st_size + 1);
  ssize_t got = 0, n = 0;
  while (buf && got < st.st_size && (n = read(fd, buf + got, (size_t)(st.st_size - got))) > 0) got += n;
  e = errno;
  close(fd);
  if (!buf || n < 0) {
    free(buf);
    return -(buf ? e : ENOMEM);
  }
  *out = buf;
  return (long)got;
}
