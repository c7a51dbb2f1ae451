#include "source.h"

#include "common.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK (1u << 20)
#define QUEUE 8

enum compression { NONE, GZIP, ZSTD };
static const char *const names[] = {"none", "gzip", "zstd"};

struct source {
  int fd;
  int plain_hash;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  struct chunk queue[QUEUE];
  int head, count;
  int done, cancelled;
  enum compression kind;
  uint64_t raw_size;
  EVP_MD_CTX *raw, *plain;
  /* A regular file is mapped: no copy into buffers, and members are written from the map. */
  char *map;
  size_t map_len, map_pos;
};

/* Blocks while the queue is full; drops the chunk once cancelled. */
static void push_chunk(struct source *s, char *data, size_t len, int stable) {
  /* Uncompressed input: the plain digest is the raw one (source_finish copies it). */
  if (s->plain && s->kind != NONE) EVP_DigestUpdate(s->plain, data, len);
  pthread_mutex_lock(&s->lock);
  while (s->count == QUEUE && !s->cancelled) pthread_cond_wait(&s->changed, &s->lock);
  if (s->cancelled) {
    pthread_mutex_unlock(&s->lock);
    if (!stable) free(data);
    return;
  }
  s->queue[(s->head + s->count) % QUEUE] = (struct chunk){data, len, stable};
  s->count++;
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

static void push(struct source *s, char *data, size_t len) { push_chunk(s, data, len, 0); }

static int cancelled(struct source *s) {
  pthread_mutex_lock(&s->lock);
  int c = s->cancelled;
  pthread_mutex_unlock(&s->lock);
  return c;
}

static void account(struct source *s, const char *buf, size_t n) {
  EVP_DigestUpdate(s->raw, buf, n);
  s->raw_size += n;
  atomic_fetch_add(&stats.read, (unsigned long long)n);
}

/* The next piece of input, hashed: a slice of the map, or read into buf. 0 at the end, -1
 * after fail(). */
static ssize_t read_some(struct source *s, char **buf, size_t cap) {
  if (s->map) {
    size_t n = s->map_len - s->map_pos < cap ? s->map_len - s->map_pos : cap;
    *buf = s->map + s->map_pos;
    s->map_pos += n;
    account(s, *buf, n);
    return (ssize_t)n;
  }
  ssize_t n;
  do n = read(s->fd, *buf, cap);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    fail("open", errno, "cannot read the archive: %s", strerrorname_np(errno));
    return -1;
  }
  account(s, *buf, (size_t)n);
  return n;
}

static void truncated(void) { fail("decompress", 0, "the archive is truncated (unexpected end of compressed data)"); }

static void run_none(struct source *s, char *first, size_t first_len) {
  if (s->map) {
    /* The tar reader gets each slice before it is hashed: both run at once. */
    push_chunk(s, first, first_len, 1);
    account(s, first, first_len);
    while (s->map_pos < s->map_len && !cancelled(s)) {
      size_t n = s->map_len - s->map_pos < CHUNK ? s->map_len - s->map_pos : CHUNK;
      char *slice = s->map + s->map_pos;
      s->map_pos += n;
      push_chunk(s, slice, n, 1);
      account(s, slice, n);
    }
    return;
  }
  push(s, first, first_len);
  for (;;) {
    char *buf = malloc(CHUNK);
    ssize_t n = buf ? read_some(s, &buf, CHUNK) : -1;
    if (n <= 0 || cancelled(s)) {
      free(buf);
      return;
    }
    push(s, buf, (size_t)n);
  }
}

/* in: the first piece of input (a malloc'd buffer of CHUNK bytes unless mapped). */
static void run_gzip(struct source *s, char *in, size_t in_len) {
  z_stream z = {0};
  /* 16 + MAX_WBITS: gzip framing only; a member ends, another may follow. */
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    fail("decompress", ENOMEM, "cannot start gzip decompression");
    if (!s->map) free(in);
    return;
  }
  int ended = 0;
  z.next_in = (unsigned char *)in;
  z.avail_in = (unsigned)in_len;
  char *out = NULL;
  for (;;) {
    if (z.avail_in == 0) {
      ssize_t n = read_some(s, &in, CHUNK);
      if (n < 0) break;
      if (n == 0) {
        if (!ended) truncated();
        break;
      }
      z.next_in = (unsigned char *)in;
      z.avail_in = (unsigned)n;
    }
    if (ended) {
      /* Concatenated members continue the stream; anything else after the end (zero
       * padding from a blocked write) is hashed and ignored, as gzip does. */
      if (z.next_in[0] != 0x1f) {
        z.avail_in = 0;
        continue;
      }
      inflateReset(&z);
      ended = 0;
    }
    if (!out && !(out = malloc(CHUNK))) break;
    z.next_out = (unsigned char *)out;
    z.avail_out = CHUNK;
    int r = inflate(&z, Z_NO_FLUSH);
    if (r == Z_STREAM_END) ended = 1;
    else if (r != Z_OK && r != Z_BUF_ERROR) {
      fail("decompress", 0, "the archive's gzip data is corrupt: %s", z.msg ? z.msg : "invalid data");
      break;
    }
    size_t produced = CHUNK - z.avail_out;
    if (produced) {
      push(s, out, produced);
      out = NULL;
    }
    if (cancelled(s)) break;
  }
  free(out);
  if (!s->map) free(in);
  inflateEnd(&z);
}

static void run_zstd(struct source *s, char *in, size_t in_len) {
  ZSTD_DStream *z = ZSTD_createDStream();
  if (!z) {
    fail("decompress", ENOMEM, "cannot start zstd decompression");
    if (!s->map) free(in);
    return;
  }
  /* Refuse frames asking for a window beyond 128 MiB (zstd --long=27): a hostile header
   * must not make us allocate gigabytes. */
  ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, 27);
  ZSTD_inBuffer zin = {in, in_len, 0};
  size_t pending = 1; /* 0 when the last frame is complete */
  char *out = NULL;
  for (;;) {
    if (zin.pos == zin.size) {
      ssize_t n = read_some(s, &in, CHUNK);
      if (n < 0) break;
      if (n == 0) {
        if (pending) truncated();
        break;
      }
      zin = (ZSTD_inBuffer){in, (size_t)n, 0};
    }
    if (!out && !(out = malloc(CHUNK))) break;
    ZSTD_outBuffer zout = {out, CHUNK, 0};
    pending = ZSTD_decompressStream(z, &zout, &zin);
    if (ZSTD_isError(pending)) {
      fail("decompress", 0, "the archive's zstd data is corrupt: %s", ZSTD_getErrorName(pending));
      break;
    }
    if (zout.pos) {
      push(s, out, zout.pos);
      out = NULL;
    }
    if (cancelled(s)) break;
  }
  free(out);
  if (!s->map) free(in);
  ZSTD_freeDStream(z);
}

static void *reader(void *arg) {
  struct source *s = arg;
  char *first = s->map ? NULL : malloc(CHUNK);
  ssize_t n = -1;
  if (s->map) {
    /* Mapped: the first slice is hashed by whichever runner takes it. */
    n = (ssize_t)(s->map_len < CHUNK ? s->map_len : CHUNK);
    first = s->map;
    s->map_pos = (size_t)n;
  } else if (first) {
    n = read_some(s, &first, CHUNK);
  }
  if (n > 0) {
    const unsigned char *b = (const unsigned char *)first;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) s->kind = GZIP;
    else if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) s->kind = ZSTD;
    if (s->kind != NONE && s->map) account(s, first, (size_t)n);
    if (s->kind == NONE) run_none(s, first, (size_t)n);
    else if (s->kind == GZIP) run_gzip(s, first, (size_t)n);
    else run_zstd(s, first, (size_t)n);
  } else if (!s->map) {
    free(first);
  }
  pthread_mutex_lock(&s->lock);
  s->done = 1;
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

struct source *source_start(int fd, int plain_hash) {
  struct source *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->fd = fd;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
      s->map = m;
      s->map_len = (size_t)st.st_size;
    }
  }
  s->raw = EVP_MD_CTX_new();
  EVP_DigestInit_ex(s->raw, EVP_sha256(), NULL);
  if (plain_hash) {
    s->plain = EVP_MD_CTX_new();
    EVP_DigestInit_ex(s->plain, EVP_sha256(), NULL);
  }
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->changed, NULL);
  if (pthread_create(&s->thread, NULL, reader, s) != 0) {
    fail("open", errno, "cannot start a reader thread");
    s->done = 1;
  }
  return s;
}

struct chunk source_next(struct source *s) {
  struct chunk c = {NULL, 0, 0};
  pthread_mutex_lock(&s->lock);
  while (s->count == 0 && !s->done) pthread_cond_wait(&s->changed, &s->lock);
  if (s->count) {
    c = s->queue[s->head];
    s->head = (s->head + 1) % QUEUE;
    s->count--;
    pthread_cond_broadcast(&s->changed);
  }
  pthread_mutex_unlock(&s->lock);
  return c;
}

void source_cancel(struct source *s) {
  pthread_mutex_lock(&s->lock);
  s->cancelled = 1;
  while (s->count) {
    if (!s->queue[s->head].stable) free(s->queue[s->head].data);
    s->head = (s->head + 1) % QUEUE;
    s->count--;
  }
  pthread_cond_broadcast(&s->changed);
  pthread_mutex_unlock(&s->lock);
}

static void hex(EVP_MD_CTX *ctx, char out[65]) {
  unsigned char md[32];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  for (int i = 0; i < 32; i++) {
    static const char digits[] = "0123456789abcdef";
    out[2 * i] = digits[md[i] >> 4];
    out[2 * i + 1] = digits[md[i] & 15];
  }
  out[64] = '\0';
}

int source_finish(struct source *s, char raw_hex[65], char plain_hex[65], uint64_t *raw_size, const char **compression) {
  pthread_join(s->thread, NULL);
  if (s->map) munmap(s->map, s->map_len);
  close(s->fd);
  hex(s->raw, raw_hex);
  if (s->plain && s->kind != NONE) hex(s->plain, plain_hex);
  else memcpy(plain_hex, raw_hex, 65);
  *raw_size = s->raw_size;
  *compression = names[s->kind];
  EVP_MD_CTX_free(s->raw);
  if (s->plain) EVP_MD_CTX_free(s->plain);
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->changed);
  free(s);
  return failed() ? -1 : 0;
}
