/* Shared by the parts of minictl-unpack: the first failure, and the counters it reports. */
#ifndef MINICTL_UNPACK_COMMON_H
#define MINICTL_UNPACK_COMMON_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Only the first failure is kept: later ones are usually its consequences. `step` is the
 * phase the TypeScript side reports (open, decompress, extract); err is an errno or 0. */
void fail(const char *step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int failed(void);
const char *failure_step(void);
const char *failure_message(void);
int failure_errno(void);

/* A member name quoted as JSON.stringify would, for messages ("etc/x\"y"). */
void quote_name(char *out, size_t cap, const char *name, size_t len);

struct stats {
  atomic_ullong entries;         /* members extracted (not counting pax/long-name headers) */
  atomic_ullong bytes;           /* bytes of regular-file content written */
  atomic_ullong skipped_devices; /* device nodes: a user namespace cannot make them */
  atomic_ullong unmapped_owners; /* owners the namespace does not map: left to its root */
  atomic_ullong skipped_xattrs;  /* extended attributes the kernel refused to this caller */
  atomic_ullong read;            /* bytes of input read, for progress */
};
extern struct stats stats;

#endif
