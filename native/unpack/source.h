/* One input read on its own thread: its bytes are hashed (sha256 of the file as given, and
 * of the decompressed tar when asked), decompressed (gzip or zstd, detected by content) and
 * queued for the tar reader in chunks. */
#ifndef MINICTL_UNPACK_SOURCE_H
#define MINICTL_UNPACK_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct chunk {
  char *data;
  size_t len;
  /* Points into the mapped archive, valid until source_finish: members may be written
   * straight from it. Otherwise the caller frees data. */
  int stable;
};

struct source;
/* Takes ownership of fd. plain_hash: also hash the decompressed bytes (a docker diff_id). */
struct source *source_start(int fd, int plain_hash);
/* The next chunk; len 0 at the end of input or after a failure. */
struct chunk source_next(struct source *s);
/* Stop reading early (the tar reader failed); safe to call more than once. */
void source_cancel(struct source *s);
/* Joins the thread. Returns 0, or -1 after fail(). Fills the hex digests (65 bytes each). */
int source_finish(struct source *s, char raw_hex[65], char plain_hex[65], uint64_t *raw_size, const char **compression);

#endif
