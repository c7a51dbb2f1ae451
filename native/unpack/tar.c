#include "tar.h"

#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Extended headers larger than this are refused: no real archive needs more, and a hostile
 * one must not make us allocate without bound. */
#define META_MAX (1u << 20)
#define NAME_MAX_BYTES 4096

enum state { HEADER, DATA, META, PADDING, DONE };

struct tar_parser;
static int finish_meta(struct tar_parser *p);
enum meta { META_PAX, META_LONGNAME, META_LONGLINK, META_SKIP };

struct tar_parser {
  struct tar_handler h;
  enum state state;
  unsigned char block[512];
  size_t have;           /* bytes of block filled */
  uint64_t left;         /* bytes of member data still to come */
  size_t pad;            /* padding after the data */
  enum meta meta;        /* what META collects */
  char *buf;             /* collected extended-header data */
  size_t buf_len;
  int zero_blocks;
  int any_header;        /* a whole header block has been read */
  unsigned long long members;
  /* From pax / GNU headers, for the next member only. */
  char *path, *linkpath;
  size_t path_len, linkpath_len;
  int has_size, has_mtime, has_uid, has_gid;
  uint64_t size;
  long long mtime_sec, uid, gid;
  long mtime_nsec;
  struct xattr *xattrs;
  int nxattrs;
  /* What the current member's header said, for the handler. */
  char name_store[257];
  char link_store[101];
};

struct tar_parser *tar_new(const struct tar_handler *h) {
  struct tar_parser *p = calloc(1, sizeof(*p));
  if (p) p->h = *h;
  return p;
}

static void clear_overrides(struct tar_parser *p) {
  free(p->path);
  free(p->linkpath);
  for (int i = 0; i < p->nxattrs; i++) {
    free(p->xattrs[i].name);
    free(p->xattrs[i].value);
  }
  free(p->xattrs);
  p->path = p->linkpath = NULL;
  p->xattrs = NULL;
  p->nxattrs = 0;
  p->has_size = p->has_mtime = p->has_uid = p->has_gid = 0;
}

void tar_free(struct tar_parser *p) {
  if (!p) return;
  clear_overrides(p);
  free(p->buf);
  free(p);
}

unsigned long long tar_members(const struct tar_parser *p) { return p->members; }

static int bad_header(void) {
  fail("extract", 0, "not a tar archive (invalid tar header)");
  return -1;
}

/* An octal field (NUL or space terminated), or GNU base-256 when the top bit is set. */
static int number(const unsigned char *f, size_t n, long long *out) {
  if (f[0] & 0x80) {
    /* Base-256, two's complement: the first byte's 0x40 bit is the sign. */
    unsigned long long v = (f[0] & 0x40) ? ~0ULL : 0;
    v = (v << 6) | (f[0] & 0x3f);
    for (size_t i = 1; i < n; i++) {
      if (i > 8 && (v >> 56) != 0 && (v >> 56) != 0xff) return -1;
      v = (v << 8) | f[i];
    }
    *out = (long long)v;
    return 0;
  }
  size_t i = 0;
  long long v = 0;
  while (i < n && f[i] == ' ') i++;
  int digits = 0;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
    if (v > (1LL << 60)) return -1;
    v = v * 8 + (f[i] - '0');
  }
  for (; i < n; i++)
    if (f[i] != ' ' && f[i] != '\0') return -1;
  *out = v;
  return 0;
}

static int checksum_ok(const unsigned char *b) {
  long long want;
  if (number(b + 148, 8, &want) < 0) return 0;
  unsigned long sum = 0;
  long ssum = 0;
  for (int i = 0; i < 512; i++) {
    unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
    sum += c;
    ssum += (signed char)c;
  }
  return (long long)sum == want || (long long)ssum == want;
}

static int zero_block(const unsigned char *b) {
  for (int i = 0; i < 512; i++)
    if (b[i]) return 0;
  return 1;
}

static char *dup_bytes(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static int parse_decimal(const char *s, size_t n, long long *out, long *nsec) {
  size_t i = 0;
  int neg = 0;
  long long v = 0;
  if (i < n && s[i] == '-') neg = 1, i++;
  if (i == n) return -1;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    if (v > (1LL << 60)) return -1;
    v = v * 10 + (s[i] - '0');
  }
  long frac = 0;
  if (i < n && s[i] == '.' && nsec) {
    int digits = 0;
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      if (digits++ < 9) frac = frac * 10 + (s[i] - '0');
    while (digits++ < 9) frac *= 10;
  }
  if (i != n) return -1;
  *out = neg ? -v : v;
  if (nsec) *nsec = frac;
  if (neg && nsec && frac) *out -= 1, *nsec = 1000000000L - frac;
  return 0;
}

static int add_xattr(struct tar_parser *p, const char *name, size_t nlen, const char *val, size_t vlen) {
  struct xattr *x = realloc(p->xattrs, sizeof(*x) * (size_t)(p->nxattrs + 1));
  if (!x) return -1;
  p->xattrs = x;
  x[p->nxattrs].name = dup_bytes(name, nlen);
  x[p->nxattrs].value = dup_bytes(val, vlen);
  x[p->nxattrs].len = vlen;
  if (!x[p->nxattrs].name || !x[p->nxattrs].value) return -1;
  p->nxattrs++;
  return 0;
}

static int b64(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* LIBARCHIVE.xattr.NAME=BASE64: the name is %-escaped, the value base64. */
static int libarchive_xattr(struct tar_parser *p, const char *k, size_t klen, const char *v, size_t vlen) {
  char name[256], value[65536];
  size_t n = 0, o = 0;
  for (size_t i = 0; i < klen && n < sizeof(name) - 1; i++) {
    if (k[i] == '%' && i + 2 < klen) {
      char hex[3] = {k[i + 1], k[i + 2], 0};
      name[n++] = (char)strtol(hex, NULL, 16);
      i += 2;
    } else {
      name[n++] = k[i];
    }
  }
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < vlen && o < sizeof(value); i++) {
    int d = b64(v[i]);
    if (d < 0) continue;
    acc = (acc << 6) | (unsigned)d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      value[o++] = (char)((acc >> bits) & 0xff);
    }
  }
  return add_xattr(p, name, n, value, o);
}

/* Records "LEN KEY=VALUE\n"; VALUE may hold any byte. */
static int parse_pax(struct tar_parser *p, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t j = i, len = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9' && len < META_MAX) len = len * 10 + (size_t)(s[j++] - '0');
    if (j == i || j >= n || s[j] != ' ' || len < 5 || len > n - i || s[i + len - 1] != '\n') {
      fail("extract", 0, "not a tar archive (invalid pax header)");
      return -1;
    }
    const char *key = s + j + 1;
    const char *end = s + i + len - 1;
    const char *eq = memchr(key, '=', (size_t)(end - key));
    if (!eq) {
      fail("extract", 0, "not a tar archive (invalid pax header)");
      return -1;
    }
    size_t klen = (size_t)(eq - key), vlen = (size_t)(end - eq - 1);
    const char *val = eq + 1;
#define KEY(lit) (klen == sizeof(lit) - 1 && memcmp(key, lit, klen) == 0)
#define PREFIX(lit) (klen > sizeof(lit) - 1 && memcmp(key, lit, sizeof(lit) - 1) == 0)
    long long num;
    int bad = 0;
    if (KEY("path")) {
      free(p->path);
      p->path = dup_bytes(val, vlen);
      p->path_len = vlen;
    } else if (KEY("linkpath")) {
      free(p->linkpath);
      p->linkpath = dup_bytes(val, vlen);
      p->linkpath_len = vlen;
    } else if (KEY("size")) {
      bad = parse_decimal(val, vlen, &num, NULL) < 0 || num < 0;
      p->size = (uint64_t)num;
      p->has_size = 1;
    } else if (KEY("mtime")) {
      bad = parse_decimal(val, vlen, &p->mtime_sec, &p->mtime_nsec) < 0;
      p->has_mtime = 1;
    } else if (KEY("uid")) {
      bad = parse_decimal(val, vlen, &p->uid, NULL) < 0;
      p->has_uid = 1;
    } else if (KEY("gid")) {
      bad = parse_decimal(val, vlen, &p->gid, NULL) < 0;
      p->has_gid = 1;
    } else if (PREFIX("SCHILY.xattr.")) {
      if (add_xattr(p, key + 13, klen - 13, val, vlen) < 0) bad = 1;
    } else if (PREFIX("LIBARCHIVE.xattr.")) {
      if (libarchive_xattr(p, key + 17, klen - 17, val, vlen) < 0) bad = 1;
    } else if (PREFIX("GNU.sparse.")) {
      fail("extract", 0, "sparse archive members are not supported: re-create the archive without --sparse");
      return -1;
    }
#undef KEY
#undef PREFIX
    if (bad) {
      fail("extract", 0, "not a tar archive (invalid pax header)");
      return -1;
    }
    i += len;
  }
  return 0;
}

/* Member name from the header: ustar prefix + name, or the GNU/pax override. */
static void header_name(struct tar_parser *p, const unsigned char *b, int ustar) {
  size_t n = strnlen((const char *)b, 100);
  size_t o = 0;
  if (ustar && b[345]) {
    size_t pn = strnlen((const char *)b + 345, 155);
    memcpy(p->name_store, b + 345, pn);
    o = pn;
    p->name_store[o++] = '/';
  }
  memcpy(p->name_store + o, b, n);
  p->name_store[o + n] = '\0';
  size_t l = strnlen((const char *)b + 157, 100);
  memcpy(p->link_store, b + 157, l);
  p->link_store[l] = '\0';
}

static int start_member(struct tar_parser *p) {
  const unsigned char *b = p->block;
  if (zero_block(b)) {
    /* Two zero blocks end the archive; GNU tar also accepts one followed by end of input. */
    if (++p->zero_blocks == 2) p->state = DONE;
    return 0;
  }
  if (p->zero_blocks || !checksum_ok(b)) return bad_header();
  int ustar = memcmp(b + 257, "ustar\0", 6) == 0;
  long long size = 0, mode = 0, uid = 0, gid = 0, mtime = 0;
  if (number(b + 124, 12, &size) < 0 || size < 0 || number(b + 100, 8, &mode) < 0 || number(b + 108, 8, &uid) < 0 ||
      number(b + 116, 8, &gid) < 0 || number(b + 136, 12, &mtime) < 0)
    return bad_header();
  char type = (char)b[156];
  if (type == '\0' || type == '7') type = '0';

  if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
    if ((uint64_t)size > META_MAX) {
      fail("extract", 0, "an extended tar header is larger than %u bytes: refusing the archive", META_MAX);
      return -1;
    }
    /* A global pax header ('g') sets defaults that no tool relies on for images: skipped. */
    p->meta = type == 'x' ? META_PAX : type == 'L' ? META_LONGNAME : type == 'K' ? META_LONGLINK : META_SKIP;
    free(p->buf);
    p->buf = malloc((size_t)size + 1);
    if (!p->buf) {
      fail("extract", ENOMEM, "out of memory reading an extended tar header");
      return -1;
    }
    p->buf_len = 0;
    p->left = (uint64_t)size;
    p->pad = (size_t)((512 - size % 512) % 512);
    p->state = p->left ? META : HEADER;
    return p->left ? 0 : finish_meta(p);
  }
  if (type == 'S') {
    fail("extract", 0, "sparse archive members are not supported: re-create the archive without --sparse");
    return -1;
  }

  header_name(p, b, ustar);
  struct tar_entry e = {
    .type = type,
    .name = p->path ? p->path : p->name_store,
    .name_len = p->path ? p->path_len : strlen(p->name_store),
    .linkname = p->linkpath ? p->linkpath : p->link_store,
    .linkname_len = p->linkpath ? p->linkpath_len : strlen(p->link_store),
    .size = p->has_size ? p->size : (uint64_t)size,
    .mode = (unsigned)(mode & 07777),
    .uid = p->has_uid ? p->uid : uid,
    .gid = p->has_gid ? p->gid : gid,
    .mtime_sec = p->has_mtime ? p->mtime_sec : mtime,
    .mtime_nsec = p->has_mtime ? p->mtime_nsec : 0,
    .xattrs = p->xattrs,
    .nxattrs = p->nxattrs,
  };
  /* Links, directories and devices carry no data whatever their size field says. */
  if (type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6') e.size = 0;
  if (e.name_len > NAME_MAX_BYTES || e.linkname_len > NAME_MAX_BYTES) {
    char q[400];
    quote_name(q, sizeof(q), e.name, e.name_len);
    fail("extract", ENAMETOOLONG, "archive member %s has a name longer than %d bytes; refusing the archive", q, NAME_MAX_BYTES);
    return -1;
  }
  p->members++;
  if (p->h.begin(p->h.ctx, &e) < 0) return -1;
  p->left = e.size;
  p->pad = (size_t)((512 - e.size % 512) % 512);
  clear_overrides(p);
  if (p->left) {
    p->state = DATA;
  } else {
    if (p->h.end(p->h.ctx) < 0) return -1;
    p->state = p->pad ? PADDING : HEADER;
  }
  return 0;
}

static int finish_meta(struct tar_parser *p) {
  p->buf[p->buf_len] = '\0';
  switch (p->meta) {
    case META_PAX:
      return parse_pax(p, p->buf, p->buf_len);
    case META_LONGNAME:
      free(p->path);
      p->path_len = strnlen(p->buf, p->buf_len);
      p->path = dup_bytes(p->buf, p->path_len);
      return 0;
    case META_LONGLINK:
      free(p->linkpath);
      p->linkpath_len = strnlen(p->buf, p->buf_len);
      p->linkpath = dup_bytes(p->buf, p->linkpath_len);
      return 0;
    case META_SKIP:
      return 0;
  }
  return 0;
}

int tar_feed(struct tar_parser *p, const char *buf, size_t len) {
  while (len > 0) {
    switch (p->state) {
      case DONE:
        return 1;
      case HEADER: {
        size_t n = 512 - p->have < len ? 512 - p->have : len;
        memcpy(p->block + p->have, buf, n);
        p->have += n, buf += n, len -= n;
        if (p->have < 512) break;
        p->have = 0;
        p->any_header = 1;
        if (start_member(p) < 0) return -1;
        break;
      }
      case DATA: {
        size_t n = p->left < len ? (size_t)p->left : len;
        if (p->h.data(p->h.ctx, buf, n) < 0) return -1;
        p->left -= n, buf += n, len -= n;
        if (p->left) break;
        if (p->h.end(p->h.ctx) < 0) return -1;
        p->state = p->pad ? PADDING : HEADER;
        break;
      }
      case META: {
        size_t n = p->left < len ? (size_t)p->left : len;
        memcpy(p->buf + p->buf_len, buf, n);
        p->buf_len += n, p->left -= n, buf += n, len -= n;
        if (p->left) break;
        if (finish_meta(p) < 0) return -1;
        p->state = p->pad ? PADDING : HEADER;
        break;
      }
      case PADDING: {
        size_t n = p->pad < len ? p->pad : len;
        p->pad -= n, buf += n, len -= n;
        if (!p->pad) p->state = HEADER;
        break;
      }
    }
  }
  return p->state == DONE ? 1 : 0;
}

int tar_finish(struct tar_parser *p) {
  /* The last member complete is enough: some writers (umoci 0.4) stop before its padding. */
  if (p->state == DONE || p->state == PADDING || (p->state == HEADER && p->have == 0)) return 0;
  /* Not even one header: a short file of something else, not a tar cut short. */
  if (!p->any_header) {
    fail("extract", 0, "not a tar archive (shorter than one tar header)");
    return -1;
  }
  fail("extract", 0, "the archive is truncated (unexpected end of tar data)");
  return -1;
}
