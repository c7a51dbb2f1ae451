/* Worker threads that finish regular files: the tar reader creates each file in archive
 * order (so names, links and replacements happen exactly as the archive says) and hands the
 * open descriptor here, where its content is written and its owner, extended attributes,
 * mode and mtime are set in parallel. */
#ifndef MINICTL_UNPACK_POOL_H
#define MINICTL_UNPACK_POOL_H

#include <stddef.h>

#include "tar.h"

struct file_job {
  int fd;
  const char *data; /* the content; NULL when the reader already wrote it */
  char *owned;      /* data's buffer when the job holds a copy (freed with the job) */
  size_t len;
  unsigned mode;
  long long uid, gid; /* -1: keep the creator's */
  long long mtime_sec;
  long mtime_nsec;
  struct xattr *xattrs; /* owned by the job */
  int nxattrs;
  char *name; /* for messages */
};

struct pool;
struct pool *pool_new(int threads);
/* Queue a job (the pool frees it); blocks while too much content is in flight. Jobs are
 * handed to the workers in batches: one wake-up per batch, not per file. */
void pool_submit(struct pool *p, struct file_job *job);
/* Wait until every submitted job is done. */
void pool_drain(struct pool *p);
void pool_free(struct pool *p);

/* Set what a file job sets, on an open file: owner, extended attributes, mode, mtime. */
int finish_file(int fd, const struct file_job *j);
/* Extended attributes on an open file or directory; refusals are counted, not failures. */
void set_xattrs(int fd, const struct xattr *x, int n);

#endif
