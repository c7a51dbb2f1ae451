/* A streaming tar reader: ustar, GNU (long names, base-256 numbers) and pax (path, linkpath,
 * size, mtime, uid, gid, SCHILY.xattr.*, LIBARCHIVE.xattr.*). It is fed bytes in chunks of any
 * size and calls a handler per member; it never touches the filesystem. */
#ifndef MINICTL_UNPACK_TAR_H
#define MINICTL_UNPACK_TAR_H

#include <stddef.h>
#include <stdint.h>

struct xattr {
  char *name;
  char *value;
  size_t len;
};

struct tar_entry {
  char type; /* '0' file, '1' hard link, '2' symlink, '3' char dev, '4' block dev, '5' dir, '6' fifo */
  const char *name;
  size_t name_len; /* a pax name may hold a NUL byte: the applier refuses it */
  const char *linkname;
  size_t linkname_len;
  uint64_t size;
  unsigned mode;
  long long uid, gid;
  long long mtime_sec;
  long mtime_nsec;
  struct xattr *xattrs;
  int nxattrs;
};

struct tar_handler {
  void *ctx;
  /* Each returns 0, or -1 after calling fail(). */
  int (*begin)(void *ctx, const struct tar_entry *e);
  int (*data)(void *ctx, const char *buf, size_t len);
  int (*end)(void *ctx);
};

struct tar_parser;
struct tar_parser *tar_new(const struct tar_handler *h);
void tar_free(struct tar_parser *p);
/* 0: more wanted; 1: the end-of-archive marker was read (ignore the rest); -1: failed. */
int tar_feed(struct tar_parser *p, const char *buf, size_t len);
/* At the end of input: -1 (after fail()) when it stopped inside a member. */
int tar_finish(struct tar_parser *p);
/* Members seen, pax and long-name headers excluded. */
unsigned long long tar_members(const struct tar_parser *p);

#endif
