#include "apply.h"
#include "../common/in-root.h"

#include "common.h"
#include "strmap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Files larger than this are written by the reader as their data arrives instead of being
 * held in memory for a worker. */
#define DIRECT_MIN (8u << 20)
/* Parent directories kept open: archives list a directory's files together. */
#define CACHE 16

struct dir_meta {
  unsigned mode;
  long long mtime_sec;
  long mtime_nsec;
};

struct cached {
  char *path;
  int fd;
  unsigned long used;
};

struct applier {
  int root;
  int owners;
  int layer;
  int readable; /* staging: the caller must read what we write */
  int detecting, staging, archive;
  struct pool *pool;
  struct tar_handler handler;
  struct strmap dirs;    /* rel -> dir_meta, applied at the end */
  struct strmap created; /* this layer's paths and their ancestors (whiteouts hide lower ones only) */
  struct cached cache[CACHE];
  unsigned long tick;
  struct file_job *job; /* the regular file being read */
  uint64_t expect;      /* its size */
  int direct;           /* written by us as it arrives (large, and not from a map) */
  int stable;           /* the input's chunks stay valid: jobs may point into them */
  char rel[PATH_MAX];
  char target[PATH_MAX];
};


static int member_error(const char *what, const char *rel, int err) {
  char q[400];
  quote_name(q, sizeof(q), rel, strlen(rel));
  fail("extract", err, "cannot %s archive member %s: %s", what, q, strerrorname_np(err));
  return -1;
}

/* A member name relative to the root ("" for the root). Leading slashes and "." components
 * are dropped, as GNU tar does; ".." is never accepted, whatever it would resolve to. */
static int sanitize(const char *name, size_t len, char out[PATH_MAX]) {
  size_t o = 0, i = 0;
  if (memchr(name, '\0', len)) goto refuse;
  while (i < len) {
    size_t j = i;
    while (j < len && name[j] != '/') j++;
    size_t n = j - i;
    if (n == 2 && name[i] == '.' && name[i + 1] == '.') goto refuse;
    if (n > 0 && !(n == 1 && name[i] == '.')) {
      if (o + n + 2 > PATH_MAX) {
        fail("extract", ENAMETOOLONG, "an archive member's name is longer than %d bytes; refusing the archive", PATH_MAX);
        return -1;
      }
      if (o) out[o++] = '/';
      memcpy(out + o, name + i, n);
      o += n;
    }
    i = j + 1;
  }
  out[o] = '\0';
  return 0;
refuse: {
  char q[400];
  quote_name(q, sizeof(q), name, len);
  fail("extract", 0, "archive member %s would land outside the image root; refusing the archive", q);
  return -1;
}
}

static void cache_flush(struct applier *a) {
  for (int i = 0; i < CACHE; i++) {
    if (!a->cache[i].path) continue;
    free(a->cache[i].path);
    close(a->cache[i].fd);
    a->cache[i].path = NULL;
  }
}

/* Create the missing directories of dir (mode 0755), each resolved inside the root. */
static int make_parents(struct applier *a, const char *dir) {
  char path[PATH_MAX];
  size_t n = strlen(dir);
  memcpy(path, dir, n + 1);
  for (size_t i = 0; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    path[i] = '\0';
    char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int pfd = a->root;
    if (slash) {
      *slash = '\0';
      pfd = openat2_in_root(a->root, path, O_PATH | O_DIRECTORY);
      *slash = '/';
    }
    if (pfd < 0) return -1;
    int r = mkdirat(pfd, base, 0755);
    int e = errno;
    if (pfd != a->root) close(pfd);
    if (r < 0 && e != EEXIST) {
      errno = e;
      return -1;
    }
    if (i < n) path[i] = '/';
  }
  return 0;
}

/* The directory holding rel, as a descriptor borrowed from the cache (valid until the next
 * lookup or flush). create: make missing parents, as tar does for unlisted directories. */
static int parent_of(struct applier *a, const char *rel, const char **base, int create) {
  const char *slash = strrchr(rel, '/');
  if (!slash) {
    *base = rel;
    return a->root;
  }
  *base = slash + 1;
  size_t n = (size_t)(slash - rel);
  int lru = 0;
  for (int i = 0; i < CACHE; i++) {
    struct cached *c = &a->cache[i];
    if (c->path && strncmp(c->path, rel, n) == 0 && c->path[n] == '\0') {
      c->used = ++a->tick;
      return c->fd;
    }
    if (!c->path || (a->cache[lru].path && c->used < a->cache[lru].used)) lru = i;
  }
  char dir[PATH_MAX];
  memcpy(dir, rel, n);
  dir[n] = '\0';
  int fd = openat2_in_root(a->root, dir, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ENOENT && create && make_parents(a, dir) == 0) fd = openat2_in_root(a->root, dir, O_PATH | O_DIRECTORY);
  if (fd < 0) return -1;
  struct cached *c = &a->cache[lru];
  if (c->path) {
    free(c->path);
    close(c->fd);
  }
  c->path = strdup(dir);
  c->fd = fd;
  c->used = ++a->tick;
  if (!c->path) {
    close(fd);
    return -1;
  }
  return fd;
}

/* rm -r of one name in dirfd, never following a symlink. */
static int remove_at(int dirfd, const char *base) {
  if (unlinkat(dirfd, base, 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR && errno != EPERM) return -1;
  if (unlinkat(dirfd, base, AT_REMOVEDIR) == 0) return 0;
  if (errno != ENOTEMPTY && errno != EEXIST) return -1;
  int fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  struct dirent *de;
  int r = 0;
  while (r == 0 && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    r = remove_at(fd, de->d_name);
  }
  closedir(d);
  return r < 0 ? -1 : unlinkat(dirfd, base, AT_REMOVEDIR);
}

/* Make room for rel: a later member replaces an earlier one (a directory with its contents). */
static int clear_slot(struct applier *a, int dirfd, const char *base, const char *rel) {
  struct stat st;
  if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -1;
  /* A removed directory or symlink may be part of a cached path: resolve afresh. Keep dirfd
   * valid meanwhile: the caller still uses it. */
  if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) {
    dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dirfd < 0) return -1;
    cache_flush(a);
    strmap_remove_tree(&a->dirs, rel);
    int r = remove_at(dirfd, base);
    int e = errno;
    close(dirfd);
    errno = e;
    return r;
  }
  return unlinkat(dirfd, base, 0) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remember rel (and its ancestors) as made by this layer. */
static void mark(struct applier *a, const char *rel) {
  if (!a->layer) return;
  char p[PATH_MAX];
  strcpy(p, rel);
  for (;;) {
    int found;
    strmap_get(&a->created, p, &found);
    if (found) return;
    strmap_put(&a->created, p, NULL);
    char *slash = strrchr(p, '/');
    if (!slash) return;
    *slash = '\0';
  }
}

static int is_created(struct applier *a, const char *rel) {
  int found;
  strmap_get(&a->created, rel, &found);
  return found;
}

static void own(struct applier *a, int dirfd, const char *base, const struct tar_entry *e) {
  if (!a->owners) return;
  if (fchownat(dirfd, base, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0 && errno == EINVAL)
    atomic_fetch_add(&stats.unmapped_owners, 1);
}

static void set_mtime(int dirfd, const char *base, const struct tar_entry *e) {
  struct timespec ts[2] = {{e->mtime_sec, e->mtime_nsec}, {e->mtime_sec, e->mtime_nsec}};
  utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW);
}

/* Run create(dirfd, base); if the name is taken, clear it and try once more. */
#define CREATE_OR_REPLACE(call)                                             \
  do {                                                                      \
    r = (call);                                                             \
    if (r < 0 && errno == EEXIST) {                                         \
      if (clear_slot(a, dirfd, base, rel) < 0) return member_error(what, rel, errno); \
      r = (call);                                                           \
    }                                                                       \
    if (r < 0) return member_error(what, rel, errno);                       \
  } while (0)

static int make_dir(struct applier *a, const struct tar_entry *e) {
  const char *rel = a->rel, *base, *what = "create directory";
  struct dir_meta *m = malloc(sizeof(*m));
  if (!m) return member_error(what, rel, ENOMEM);
  *m = (struct dir_meta){e->mode | (a->readable ? 0700 : 0), e->mtime_sec, e->mtime_nsec};
  if (!rel[0]) return strmap_put(&a->dirs, rel, m) < 0 ? member_error(what, rel, ENOMEM) : 0;
  int dirfd = parent_of(a, rel, &base, 1);
  if (dirfd < 0) {
    free(m);
    return member_error(what, rel, errno);
  }
  /* Owner rwx while unpacking: a read-only directory must still receive its entries. An
   * existing directory is kept (layers merge); anything else in the way is replaced. */
  int r = mkdirat(dirfd, base, (e->mode & 07777) | 0700);
  if (r < 0 && errno == EEXIST) {
    struct stat st;
    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) r = 0;
    else if ((r = clear_slot(a, dirfd, base, rel)) == 0) r = mkdirat(dirfd, base, (e->mode & 07777) | 0700);
  }
  if (r < 0 || strmap_put(&a->dirs, rel, m) < 0) {
    int err = r < 0 ? errno : ENOMEM;
    if (r < 0) free(m);
    return member_error(what, rel, err);
  }
  own(a, dirfd, base, e);
  if (e->nxattrs) {
    int fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      set_xattrs(fd, e->xattrs, e->nxattrs);
      close(fd);
    }
  }
  mark(a, rel);
  return 0;
}

static struct xattr *copy_xattrs(const struct xattr *x, int n) {
  if (!n) return NULL;
  struct xattr *c = calloc((size_t)n, sizeof(*c));
  for (int i = 0; c && i < n; i++) {
    c[i].name = strdup(x[i].name);
    c[i].value = malloc(x[i].len ? x[i].len : 1);
    if (c[i].value) memcpy(c[i].value, x[i].value, x[i].len);
    c[i].len = x[i].len;
  }
  return c;
}

static int open_file(struct applier *a, const struct tar_entry *e) {
  const char *rel = a->rel, *base, *what = "create file";
  int dirfd = parent_of(a, rel, &base, 1);
  if (dirfd < 0) return member_error(what, rel, errno);
  int fd;
  int r;
  unsigned mode = e->mode | (a->readable ? 0600 : 0);
  CREATE_OR_REPLACE((fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777)));
  struct file_job *j = calloc(1, sizeof(*j));
  if (!j) {
    close(fd);
    return member_error(what, rel, ENOMEM);
  }
  *j = (struct file_job){
    .fd = fd,
    .mode = mode,
    .uid = a->owners ? e->uid : -1,
    .gid = a->owners ? e->gid : -1,
    .mtime_sec = e->mtime_sec,
    .mtime_nsec = e->mtime_nsec,
    .xattrs = copy_xattrs(e->xattrs, e->nxattrs),
    .nxattrs = e->xattrs ? e->nxattrs : 0,
    .name = strdup(rel),
  };
  a->direct = e->size > DIRECT_MIN && !a->stable;
  a->job = j;
  a->expect = e->size;
  atomic_fetch_add(&stats.bytes, e->size);
  mark(a, rel);
  return 0;
}

static int make_symlink(struct applier *a, const struct tar_entry *e) {
  const char *rel = a->rel, *base, *what = "create symlink";
  if (memchr(e->linkname, '\0', e->linkname_len)) return member_error(what, rel, EINVAL);
  int dirfd = parent_of(a, rel, &base, 1);
  if (dirfd < 0) return member_error(what, rel, errno);
  int r;
  CREATE_OR_REPLACE(symlinkat(e->linkname, dirfd, base));
  own(a, dirfd, base, e);
  set_mtime(dirfd, base, e);
  /* user.* attributes cannot be set on symlinks; the rest needs privileges we lack. */
  if (e->nxattrs) atomic_fetch_add(&stats.skipped_xattrs, (unsigned long long)e->nxattrs);
  mark(a, rel);
  return 0;
}

static int make_link(struct applier *a, const struct tar_entry *e) {
  const char *rel = a->rel, *base, *tbase, *what = "link";
  if (sanitize(e->linkname, e->linkname_len, a->target) < 0) return -1;
  if (strcmp(a->target, rel) == 0) return 0;
  /* No parents are made for the target: a link to nothing fails. The second lookup evicts
   * only the least recently used cache entry, so the first descriptor stays valid. */
  int dirfd = parent_of(a, rel, &base, 1);
  if (dirfd < 0) return member_error(what, rel, errno);
  int tdir = parent_of(a, a->target, &tbase, 0);
  if (tdir < 0) return member_error(what, rel, errno);
  int r;
  /* Flags 0: a symlink target is linked as the symlink itself, never followed. */
  CREATE_OR_REPLACE(linkat(tdir, tbase, dirfd, base, 0));
  mark(a, rel);
  return 0;
}

static int make_fifo(struct applier *a, const struct tar_entry *e) {
  const char *rel = a->rel, *base, *what = "create fifo";
  int dirfd = parent_of(a, rel, &base, 1);
  if (dirfd < 0) return member_error(what, rel, errno);
  int r;
  CREATE_OR_REPLACE(mknodat(dirfd, base, S_IFIFO | (e->mode & 07777), 0));
  own(a, dirfd, base, e);
  /* After the chown, which clears setgid; mknodat applied the umask. */
  fchmodat(dirfd, base, e->mode & 07777, 0);
  set_mtime(dirfd, base, e);
  mark(a, rel);
  return 0;
}

/* Hide what lower layers put under dir, keeping what this layer made there. */
static int opaque_clean(struct applier *a, int fd, const char *dir) {
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  struct dirent *de;
  int r = 0;
  while (r == 0 && (de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char child[PATH_MAX];
    if ((size_t)snprintf(child, sizeof(child), "%s%s%s", dir, dir[0] ? "/" : "", de->d_name) >= sizeof(child)) continue;
    if (!is_created(a, child)) {
      strmap_remove_tree(&a->dirs, child);
      r = remove_at(dirfd(d), de->d_name);
      continue;
    }
    int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0) r = opaque_clean(a, sub, child);
  }
  closedir(d);
  return r;
}

/* .wh.NAME removes NAME of lower layers; .wh..wh..opq makes its directory opaque. */
static int whiteout(struct applier *a) {
  char *rel = a->rel;
  char *slash = strrchr(rel, '/');
  const char *base = slash ? slash + 1 : rel;
  char dir[PATH_MAX];
  size_t dn = slash ? (size_t)(slash - rel) : 0;
  memcpy(dir, rel, dn);
  dir[dn] = '\0';
  cache_flush(a);
  if (strcmp(base, ".wh..wh..opq") == 0) {
    int fd = openat2_in_root(a->root, dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : member_error("apply opaque whiteout", rel, errno);
    if (opaque_clean(a, fd, dir) < 0) return member_error("apply opaque whiteout", rel, errno);
    return 0;
  }
  /* Other .wh..wh. names are aufs bookkeeping, not whiteouts. */
  if (strncmp(base, ".wh..wh.", 8) == 0) return 0;
  const char *name = base + 4;
  if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    char q[400];
    quote_name(q, sizeof(q), rel, strlen(rel));
    fail("extract", 0, "archive member %s is not a valid whiteout; refusing the layer", q);
    return -1;
  }
  char target[PATH_MAX];
  if ((size_t)snprintf(target, sizeof(target), "%s%s%s", dir, dir[0] ? "/" : "", name) >= sizeof(target))
    return member_error("apply whiteout", rel, ENAMETOOLONG);
  /* A whiteout hides lower layers only, never what its own layer made. */
  if (is_created(a, target)) return 0;
  int dfd = openat2_in_root(a->root, dir, O_PATH | O_DIRECTORY);
  if (dfd < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : member_error("apply whiteout", rel, errno);
  strmap_remove_tree(&a->dirs, target);
  int r = remove_at(dfd, name);
  int e = errno;
  close(dfd);
  return r < 0 ? member_error("apply whiteout", rel, e) : 0;
}

/* Whether a first member shows a docker-save or OCI archive rather than a root filesystem. */
static int image_archive_name(const char *rel) {
  size_t n = strcspn(rel, "/");
  static const char *const known[] = {"blobs", "oci-layout", "index.json", "manifest.json", "repositories"};
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strlen(known[i]) == n && strncmp(rel, known[i], n) == 0) return 1;
  /* docker save's legacy layout: <64 hex>/, <64 hex>.json */
  if (n < 64) return 0;
  for (size_t i = 0; i < 64; i++)
    if (!strchr("0123456789abcdef", rel[i]) || !rel[i]) return 0;
  return n == 64 || (n == 69 && strncmp(rel + 64, ".json", 5) == 0) || (n == 68 && strncmp(rel + 64, ".tar", 4) == 0);
}

static int begin(void *ctx, const struct tar_entry *e) {
  struct applier *a = ctx;
  if (failed()) return -1;
  if (sanitize(e->name, e->name_len, a->rel) < 0) return -1;
  if (a->detecting && a->rel[0]) {
    a->detecting = 0;
    if (image_archive_name(a->rel)) {
      /* The root member already seen belongs to the archive, not to an image. */
      strmap_clear(&a->dirs);
      a->archive = 1;
      a->root = a->staging;
      a->owners = 0;
      a->readable = 1;
    }
  }
  if (a->layer) {
    const char *base = strrchr(a->rel, '/');
    base = base ? base + 1 : a->rel;
    if (strncmp(base, ".wh.", 4) == 0) return whiteout(a);
  }
  atomic_fetch_add(&stats.entries, 1);
  if (e->type != '5' && !a->rel[0]) {
    fail("extract", 0, "archive member names the image root as a file");
    return -1;
  }
  switch (e->type) {
    case '5':
      return make_dir(a, e);
    case '0':
      return open_file(a, e);
    case '2':
      return make_symlink(a, e);
    case '1':
      return make_link(a, e);
    case '6':
      return make_fifo(a, e);
    case '3':
    case '4':
      atomic_fetch_add(&stats.skipped_devices, 1);
      return 0;
    default:
      /* Volume labels and other types carry nothing for an image. */
      atomic_fetch_sub(&stats.entries, 1);
      return 0;
  }
}

static int data(void *ctx, const char *buf, size_t len) {
  struct applier *a = ctx;
  struct file_job *j = a->job;
  if (!j) return 0;
  if (a->direct) {
    while (len > 0) {
      ssize_t n = write(j->fd, buf, len);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return member_error("write", j->name, errno);
      buf += n, len -= (size_t)n;
    }
    return 0;
  }
  /* Content contiguous in a mapped archive is written from the map, without a copy. */
  if (a->stable && (!j->data || j->data + j->len == buf) && !j->owned) {
    if (!j->data) j->data = buf;
    j->len += len;
    return 0;
  }
  if (!j->owned) {
    j->owned = malloc(a->expect ? a->expect : 1);
    if (!j->owned) return member_error("read", j->name, ENOMEM);
    if (j->len) memcpy(j->owned, j->data, j->len);
    j->data = j->owned;
  }
  memcpy(j->owned + j->len, buf, len);
  j->len += len;
  return 0;
}

static int end(void *ctx) {
  struct applier *a = ctx;
  if (!a->job) return 0;
  pool_submit(a->pool, a->job);
  a->job = NULL;
  return failed() ? -1 : 0;
}

struct applier *applier_new(int root, int owners, struct pool *pool) {
  struct applier *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  a->root = root;
  a->owners = owners;
  a->pool = pool;
  a->staging = -1;
  a->handler = (struct tar_handler){a, begin, data, end};
  return a;
}

void applier_input(struct applier *a, int layer) {
  a->layer = layer;
  strmap_clear(&a->created);
}

void applier_stable(struct applier *a, int stable) { a->stable = stable; }

void applier_flush(struct applier *a) { pool_drain(a->pool); }

void applier_detect(struct applier *a, int staging) {
  a->detecting = 1;
  a->staging = staging;
}

int applier_is_archive(const struct applier *a) { return a->archive; }

const struct tar_handler *applier_handler(struct applier *a) { return &a->handler; }

static int depth_desc(const void *x, const void *y) {
  const char *a = (*(const struct strmap_item *const *)x)->key, *b = (*(const struct strmap_item *const *)y)->key;
  int da = a[0] != '\0', db = b[0] != '\0';
  for (; *a; a++) da += *a == '/';
  for (; *b; b++) db += *b == '/';
  return db - da;
}

int applier_finish(struct applier *a) {
  if (a->job) {
    /* Stopped inside a file: the descriptor still needs closing. */
    close(a->job->fd);
    free(a->job->owned);
    free(a->job->name);
    free(a->job);
    a->job = NULL;
  }
  pool_drain(a->pool);
  cache_flush(a);
  if (failed()) return -1;
  size_t n = 0;
  struct strmap_item **items = malloc(sizeof(*items) * (a->dirs.live + 1));
  if (!items) return member_error("finish", "", ENOMEM);
  for (size_t i = 0; i < a->dirs.cap; i++) {
    struct strmap_item *it = &a->dirs.items[i];
    if (it->key && it->key != STRMAP_TOMB && it->value) items[n++] = it;
  }
  qsort(items, n, sizeof(*items), depth_desc);
  for (size_t i = 0; i < n; i++) {
    const struct dir_meta *m = items[i]->value;
    int fd = openat2_in_root(a->root, items[i]->key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    struct timespec ts[2] = {{m->mtime_sec, m->mtime_nsec}, {m->mtime_sec, m->mtime_nsec}};
    int r = fd < 0 ? -1 : fchmod(fd, m->mode & 07777) < 0 ? -1 : futimens(fd, ts);
    int e = errno;
    if (fd >= 0) close(fd);
    if (r < 0) {
      member_error("set the mode of", items[i]->key, e);
      free(items);
      return -1;
    }
  }
  free(items);
  strmap_clear(&a->dirs);
  strmap_clear(&a->created);
  return 0;
}
