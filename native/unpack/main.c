/* minictl-unpack: turns an image archive into a directory tree, fast and safely. It runs as
 * its own process so that the same code serves both identities: here, as the caller, or
 * started inside a user namespace (as its root) to give files the archive's owners. A C
 * executable starts in a millisecond, where a second Node process would take a tenth of a
 * second. The TypeScript side (packages/rootfs) decides what to unpack; this does the bytes.
 *
 *   minictl-unpack --root DIR --result FILE [--progress FILE] [--owners] [--threads N]
 *                  --archive FILE --staging DIR
 *       An archive as given: a root filesystem goes to DIR; a docker-save or OCI archive
 *       (seen from its first member) goes to the staging directory, to be read back.
 *   minictl-unpack ... --blobs DIR [--diff-ids] --layer PATH [--layer PATH...]
 *       Layers, in order, with whiteouts; each PATH resolved inside DIR.
 *
 * The result file gets one JSON object: the digests and counts, or {"error": ...}; the
 * progress file is rewritten with "BYTES ENTRIES" while reading. Exit status 0 or 1. */
#include "apply.h"
#include "common.h"
#include "pool.h"
#include "source.h"
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_LAYERS 256

struct input_result {
  char sha256[65];
  char plain[65];
  uint64_t size;
  const char *compression;
};

static int progress_fd = -1;

static void report_progress(int force) {
  static struct timespec last;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  long ms = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
  if (progress_fd < 0 || (!force && ms < 100)) return;
  last = now;
  char line[64];
  int n = snprintf(line, sizeof(line), "%llu %llu\n", (unsigned long long)atomic_load(&stats.read),
                   (unsigned long long)atomic_load(&stats.entries));
  if (pwrite(progress_fd, line, (size_t)n, 0) == n) (void)ftruncate(progress_fd, n);
}

/* Read one input to its end, feeding the tar reader; the digests come back in r. */
static int unpack_input(int fd, struct applier *a, int diff_ids, struct input_result *r) {
  struct source *src = source_start(fd, diff_ids);
  if (!src) {
    fail("open", ENOMEM, "out of memory");
    close(fd);
    return -1;
  }
  struct tar_parser *t = tar_new(applier_handler(a));
  int state = t ? 0 : -1;
  for (;;) {
    struct chunk c = source_next(src);
    if (!c.len) break;
    /* After the end-of-archive marker the rest is only hashed. */
    applier_stable(a, c.stable);
    if (state == 0) state = tar_feed(t, c.data, c.len);
    if (!c.stable) free(c.data);
    report_progress(0);
    if (state < 0) {
      source_cancel(src);
      break;
    }
  }
  /* Files may still be written from the mapped input, which source_finish unmaps. */
  applier_flush(a);
  int ok = source_finish(src, r->sha256, r->plain, &r->size, &r->compression) == 0 && state >= 0;
  if (ok && state == 0) ok = tar_finish(t) == 0;
  if (ok && tar_members(t) == 0) {
    fail("extract", 0, "the archive has no entries: not an image");
    ok = 0;
  }
  tar_free(t);
  return ok ? 0 : -1;
}

static int open_in(int root, const char *path) {
  /* O_NONBLOCK: a FIFO planted as a blob must not hang the import (it is refused below;
   * a regular file reads the same either way). */
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

static void write_result(const char *path, const char *kind, const struct input_result *r, int n, int diff_ids) {
  FILE *f = fopen(path, "w");
  if (!f) return;
  if (failed()) {
    fputs("{\"error\":{\"message\":", f);
    json_string(f, failure_message());
    fputs(",\"step\":", f);
    json_string(f, failure_step());
    if (failure_errno()) {
      fputs(",\"errno\":", f);
      json_string(f, strerrorname_np(failure_errno()));
    }
    fputs("}}\n", f);
  } else {
    fprintf(f, "{\"kind\":\"%s\",\"inputs\":[", kind);
    for (int i = 0; i < n; i++) {
      fprintf(f, "%s{\"sha256\":\"%s\",\"size\":%llu,\"compression\":\"%s\"", i ? "," : "", r[i].sha256,
              (unsigned long long)r[i].size, r[i].compression);
      if (diff_ids) fprintf(f, ",\"diffId\":\"%s\"", r[i].plain);
      fputc('}', f);
    }
    fprintf(f, "],\"entries\":%llu,\"bytes\":%llu,\"skippedDevices\":%llu,\"unmappedOwners\":%llu,\"skippedXattrs\":%llu}\n",
            (unsigned long long)stats.entries, (unsigned long long)stats.bytes, (unsigned long long)stats.skipped_devices,
            (unsigned long long)stats.unmapped_owners, (unsigned long long)stats.skipped_xattrs);
  }
  fclose(f);
}

static int usage(void) {
  fprintf(stderr,
          "usage: minictl-unpack --root DIR --result FILE [--progress FILE] [--owners] [--threads N]\n"
          "         (--archive FILE --staging DIR | --blobs DIR [--diff-ids] --layer PATH...)\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *root = NULL, *result = NULL, *progress = NULL, *archive = NULL, *staging = NULL, *blobs = NULL;
  const char *layers[MAX_LAYERS];
  int nlayers = 0, owners = 0, diff_ids = 0;
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--owners") == 0) owners = 1;
    else if (strcmp(a, "--diff-ids") == 0) diff_ids = 1;
    else if (!v) return usage();
    else if (strcmp(a, "--root") == 0) root = v, i++;
    else if (strcmp(a, "--result") == 0) result = v, i++;
    else if (strcmp(a, "--progress") == 0) progress = v, i++;
    else if (strcmp(a, "--archive") == 0) archive = v, i++;
    else if (strcmp(a, "--staging") == 0) staging = v, i++;
    else if (strcmp(a, "--blobs") == 0) blobs = v, i++;
    else if (strcmp(a, "--threads") == 0) threads = atol(v), i++;
    else if (strcmp(a, "--layer") == 0 && nlayers < MAX_LAYERS) layers[nlayers++] = v, i++;
    else return usage();
  }
  if (!root || !result || (!archive == !blobs) || (archive && !staging) || (blobs && !nlayers)) return usage();

  /* Modes come from the archive, not from our umask; every job holds a descriptor. */
  umask(0);
  /* Reuse freed chunk buffers instead of mapping and faulting in fresh ones each time. */
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (progress) progress_fd = open(progress, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  struct input_result results[MAX_LAYERS];
  int n = 0;
  const char *kind = "layers";
  int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) fail("open", errno, "cannot open the image directory %s: %s", root, strerrorname_np(errno));
  struct pool *pool = failed() ? NULL : pool_new(threads < 1 ? 1 : threads > 4 ? 4 : (int)threads);
  struct applier *ap = pool ? applier_new(root_fd, owners, pool) : NULL;
  if (!failed() && !ap) fail("extract", ENOMEM, "out of memory");

  if (!failed() && archive) {
    int sfd = open(staging, O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = open(archive, O_RDONLY | O_CLOEXEC);
    if (sfd < 0) fail("open", errno, "cannot open the staging directory %s: %s", staging, strerrorname_np(errno));
    else if (fd < 0) fail("open", errno, "cannot read image %s: %s", archive, strerrorname_np(errno));
    else {
      applier_detect(ap, sfd);
      applier_input(ap, 0);
      if (unpack_input(fd, ap, diff_ids, &results[n++]) == 0) kind = applier_is_archive(ap) ? "archive" : "rootfs";
    }
  }
  if (!failed() && blobs) {
    int bfd = open(blobs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (bfd < 0) fail("open", errno, "cannot open the image layout %s: %s", blobs, strerrorname_np(errno));
    for (int i = 0; !failed() && i < nlayers; i++) {
      int fd = open_in(bfd, layers[i]);
      if (fd < 0) {
        fail("open", errno, "cannot read layer %s of the image: %s", layers[i], strerrorname_np(errno));
        break;
      }
      applier_input(ap, 1);
      unpack_input(fd, ap, diff_ids, &results[n++]);
    }
  }
  if (ap) applier_finish(ap);
  report_progress(1);
  write_result(result, kind, results, n, diff_ids);
  return failed() ? 1 : 0;
}
