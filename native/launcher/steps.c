#include "steps.h"

#include "creds.h"
#include "sys.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Detached mounts made before pivot_root and attached after it, so that every target is
 * resolved inside the new root (an image's symlinked /proc can never point at the host). */
static int slots[MAX_SLOTS];

int start_gate = -1;

static int slot_index(const char *s) {
  long v = strtol(s, NULL, 10);
  if (v < 0 || v >= MAX_SLOTS) {
    errno = EINVAL;
    return -1;
  }
  return (int)v;
}

static unsigned long num(const char *s) { return strtoul(s, NULL, 0); }

static int do_mount(char **a) {
  return mount(a[0][0] ? a[0] : NULL, a[1], a[2][0] ? a[2] : NULL, num(a[3]), a[4][0] ? a[4] : NULL);
}

static int set_attrs(int fd, unsigned attrs, int recursive) {
  if (!attrs) return 0;
  struct mount_attr ma = {.attr_set = attrs};
  return sys_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &ma);
}

static int clone_tree(const char *path, int recursive, unsigned attrs) {
  int fd = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (fd < 0) return -1;
  if (set_attrs(fd, attrs, recursive) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* A fresh filesystem instance as a detached mount; key/value pairs configure it, an empty
 * value sets a flag (overlay's userxattr). */
static int new_fs(char **a, int argc) {
  int fs = sys_fsopen(a[1], FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  int e = 0, m = -1;
  for (int i = 4; i + 1 < argc; i += 2) {
    int r = a[i + 1][0] ? sys_fsconfig(fs, FSCONFIG_SET_STRING, a[i], a[i + 1], 0)
                        : sys_fsconfig(fs, FSCONFIG_SET_FLAG, a[i], NULL, 0);
    if (r < 0) goto out;
  }
  if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) goto out;
  m = sys_fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)num(a[2]));
out:
  e = errno;
  close(fs);
  errno = e;
  return m;
}

static int do_fsmount(char **a, int argc, int step) {
  int s = slot_index(a[0]);
  if (s < 0) return -1;
  int fd = new_fs(a, argc);
  if (fd < 0 && a[3][0] && (errno == EPERM || errno == EACCES || errno == EINVAL)) {
    /* The kernel refused a new instance (e.g. procfs "too revealing" under an over-mounted
     * host /proc): fall back to a recursive copy of the host's, and say so. */
    ctl_send("WARN %d %d", step, errno);
    fd = clone_tree(a[3], 1, (unsigned)num(a[2]));
  }
  if (fd < 0) return -1;
  slots[s] = fd;
  return 0;
}

static int do_clone(char **a) {
  int s = slot_index(a[0]);
  if (s < 0) return -1;
  int fd = clone_tree(a[1], atoi(a[2]), (unsigned)num(a[3]));
  if (fd < 0) return -1;
  slots[s] = fd;
  return 0;
}

static int do_attach(char **a, int argc, int step) {
  int s = slot_index(a[0]);
  if (s < 0) return -1;
  int r = sys_move_mount(slots[s], "", AT_FDCWD, a[1], MOVE_MOUNT_F_EMPTY_PATH);
  int e = errno;
  close(slots[s]);
  slots[s] = -1;
  if (r < 0 && e == ENOENT && argc > 2 && strcmp(a[2], "optional") == 0) {
    ctl_send("WARN %d %d", step, e); /* skipped, but never in silence */
    return 0;
  }
  errno = e;
  return r;
}

/* Masked paths: the kernel interfaces runc and podman hide. A path this kernel lacks is fine. */
static int do_mask(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
  return mount("/dev/null", path, NULL, MS_BIND, NULL);
}

static int do_readonly(const char *path) {
  int fd = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  struct mount_attr ma = {.attr_set = MOUNT_ATTR_RDONLY};
  int r = sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma);
  if (r == 0) r = sys_move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH);
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static int do_writefile(const char *path, const char *content, const char *mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (mode_t)strtoul(mode, NULL, 8));
  if (fd < 0) return -1;
  int r = write_all(fd, content, strlen(content));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

static int do_pivot(const char *dir) {
  /* pivot_root(".", ".") stacks the old root on top of the new one; detaching "." then
   * drops the whole host tree from this namespace. */
  if (chdir(dir) < 0 || sys_pivot_root(".", ".") < 0) return -1;
  if (umount2(".", MNT_DETACH) < 0) return -1;
  return chdir("/");
}

static int mkdir_p(const char *path, mode_t mode) {
  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, len + 1);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
      *p = c;
      if (!c) break;
    }
  }
  return 0;
}

static int mkfile(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return errno == EEXIST ? 0 : -1;
  return close(fd);
}

static int do_symlink(const char *target, const char *path) {
  return symlink(target, path) < 0 && errno != EEXIST ? -1 : 0;
}

static int lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(s);
  errno = e;
  return r;
}

static int do_chdir(const char *dir) {
  char cwd[PATH_MAX];
  if (chdir(dir) < 0) return -1;
  /* A directory reached through a leaked host fd reports "(unreachable)"; refuse it. */
  if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/') {
    errno = EPERM;
    return -1;
  }
  return 0;
}

static int bset_keep(unsigned long long keep) {
  for (int c = 0; c <= 63; c++) {
    if (keep & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      return -1;
    }
  }
  return 0;
}

static int do_setgroups(char **a, int argc) {
  gid_t g[NGROUPS_MAX > 65536 ? 65536 : NGROUPS_MAX];
  if ((size_t)argc > sizeof(g) / sizeof(g[0])) {
    errno = E2BIG;
    return -1;
  }
  for (int i = 0; i < argc; i++) g[i] = (gid_t)num(a[i]);
  return setgroups((size_t)argc, g);
}

static int set_caps(const struct capsets *c) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  for (int k = 0; k < 2; k++) {
    d[k].permitted = (uint32_t)(c->p >> (32 * k));
    d[k].effective = (uint32_t)(c->e >> (32 * k));
    d[k].inheritable = (uint32_t)(c->i >> (32 * k));
  }
  return (int)syscall(SYS_capset, &h, d);
}

static int do_capset(char **a) {
  struct capsets c = {.p = strtoull(a[0], NULL, 16), .e = strtoull(a[1], NULL, 16), .i = strtoull(a[2], NULL, 16)};
  return set_caps(&c);
}

/* One edit such as "b-cap_sys_admin" or "a+all", already resolved to a mask by TypeScript. */
static int do_capedit(char set, char op, unsigned long long mask) {
  if (set == 'b') {
    if (op != '-') return errno = EINVAL, -1;
    for (int c = 0; c <= 63; c++)
      if ((mask & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    return 0;
  }
  if (set == 'a') {
    int how = op == '+' ? PR_CAP_AMBIENT_RAISE : PR_CAP_AMBIENT_LOWER;
    for (int c = 0; c <= 63; c++)
      if ((mask & (1ULL << c)) && prctl(PR_CAP_AMBIENT, how, c, 0, 0) < 0 && !(errno == EINVAL && op == '-')) return -1;
    return 0;
  }
  struct capsets c;
  if (get_caps(&c) < 0) return -1;
  unsigned long long *target = set == 'p' ? &c.p : set == 'e' ? &c.e : set == 'i' ? &c.i : NULL;
  if (!target) return errno = EINVAL, -1;
  *target = op == '+' ? (*target | mask) : (*target & ~mask);
  return set_caps(&c);
}

static int ambient_raise(unsigned long long mask) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return -1;
  for (int c = 0; c <= 63; c++)
    if ((mask & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return -1;
  return 0;
}

static int sleep_for(const char *secs) {
  double s = strtod(secs, NULL);
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) < 0)
    if (errno != EINTR) return -1;
  return 0;
}

/* The filter arrives as hex: 16 digits per struct sock_filter, in host byte order. */
static int install_seccomp(const char *hex) {
  size_t len = strlen(hex);
  if (len == 0 || len % 16 != 0 || len / 16 > BPF_MAXINSNS) return errno = EINVAL, -1;
  unsigned char *bytes = malloc(len / 2);
  if (!bytes) return -1;
  for (size_t i = 0; i < len / 2; i++) {
    char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
    bytes[i] = (unsigned char)strtoul(pair, NULL, 16);
  }
  struct sock_fprog prog = {.len = (unsigned short)(len / 16), .filter = (struct sock_filter *)bytes};
  int r = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  int e = errno;
  free(bytes);
  errno = e;
  return r;
}

/* Enter a running container: open every namespace first (entering the mount namespace
 * changes what /proc shows), then the user namespace, whose capabilities the rest need. */
static int do_join(const char *pid) {
  static const char *const order[] = {"user", "mnt", "pid", "uts", "ipc", "net", "cgroup"};
  enum { N = sizeof(order) / sizeof(order[0]) };
  int fds[N];
  ino_t mine[N];
  char path[64];
  /* Everything is looked up before the first setns: entering the mount namespace changes
   * what /proc shows. */
  for (int i = 0; i < N; i++) {
    struct stat st;
    snprintf(path, sizeof(path), "/proc/self/ns/%s", order[i]);
    mine[i] = stat(path, &st) == 0 ? st.st_ino : 0;
    snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, order[i]);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) return -1;
  }
  int r = 0;
  for (int i = 0; i < N && r == 0; i++) {
    struct stat theirs;
    /* Already a member (the container kept the host's cgroup namespace): setns would need
     * privilege over it, and changes nothing. */
    if (fstat(fds[i], &theirs) == 0 && theirs.st_ino == mine[i]) continue;
    r = setns(fds[i], 0);
  }
  int e = errno;
  for (int i = 0; i < N; i++) close(fds[i]);
  errno = e;
  return r;
}

/* A namespace given by path (OCI linux.namespaces[].path); the user namespace is the
 * launcher's to join (plan.userns_path), before clone. */
static int do_setns(const char *path, const char *type) {
  int nstype = (int)strtoul(type, NULL, 10);
  if (nstype == CLONE_NEWUSER || nstype == CLONE_NEWPID) return 0; /* the launcher's, before clone */
  return join_ns_path(path, nstype);
}

static int do_startgate(const char *fifo) {
  /* O_RDWR: opening never waits for a writer, and reads wait for `start`'s byte. */
  start_gate = open(fifo, O_RDWR | O_CLOEXEC);
  return start_gate < 0 ? -1 : 0;
}

static int do_rlimit(char **a) {
  struct rlimit rl = {.rlim_cur = (rlim_t)strtoull(a[1], NULL, 10), .rlim_max = (rlim_t)strtoull(a[2], NULL, 10)};
  return setrlimit((int)num(a[0]), &rl);
}

static int run_one(const struct step *s, int index) {
  char **a = s->argv;
  switch (s->op) {
  case OP_MOUNT: return do_mount(a);
  case OP_FSMOUNT: return do_fsmount(a, s->argc, index);
  case OP_CLONE: return do_clone(a);
  case OP_ATTACH: return do_attach(a, s->argc, index);
  case OP_PIVOT: return do_pivot(a[0]);
  case OP_MKDIR: return mkdir_p(a[0], (mode_t)strtoul(a[1], NULL, 8));
  case OP_MKFILE: return mkfile(a[0]);
  case OP_SYMLINK: return do_symlink(a[0], a[1]);
  case OP_HOSTNAME: return sethostname(a[0], strlen(a[0]));
  case OP_LOUP: return lo_up();
  case OP_CHDIR: return do_chdir(a[0]);
  case OP_BSET: return bset_keep(strtoull(a[0], NULL, 16));
  case OP_SECUREBITS: return prctl(PR_SET_SECUREBITS, num(a[0]), 0, 0, 0);
  case OP_SETGROUPS: return do_setgroups(a, s->argc);
  case OP_SETRESGID: return setresgid((gid_t)num(a[0]), (gid_t)num(a[1]), (gid_t)num(a[2]));
  case OP_SETRESUID: return setresuid((uid_t)num(a[0]), (uid_t)num(a[1]), (uid_t)num(a[2]));
  case OP_CAPSET: return do_capset(a);
  case OP_AMBIENT: return ambient_raise(strtoull(a[0], NULL, 16));
  case OP_NNP: return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  case OP_RLIMIT: return do_rlimit(a);
  case OP_CAPEDIT: return do_capedit(a[0][0], a[1][0], strtoull(a[2], NULL, 16));
  case OP_SHOWCREDS: return show_creds((const char *const *)a, s->argc);
  case OP_SLEEP: return sleep_for(a[0]);
  case OP_SECCOMP: return install_seccomp(a[0]);
  case OP_MASK: return do_mask(a[0]);
  case OP_READONLY: return do_readonly(a[0]);
  case OP_WRITEFILE: return do_writefile(a[0], a[1], a[2]);
  case OP_JOIN: return do_join(a[0]);
  case OP_SETNS: return do_setns(a[0], a[1]);
  case OP_STARTGATE: return do_startgate(a[0]);
  default: return 0; /* CONFIG, ARGV, ENV are data, not actions */
  }
}

static const unsigned arity[OP_MAX] = {
  [OP_MOUNT] = 5, [OP_FSMOUNT] = 4, [OP_CLONE] = 4, [OP_ATTACH] = 2, [OP_PIVOT] = 1, [OP_MKDIR] = 2,
  [OP_MKFILE] = 1, [OP_SYMLINK] = 2, [OP_HOSTNAME] = 1, [OP_CHDIR] = 1, [OP_BSET] = 1,
  [OP_SECUREBITS] = 1, [OP_SETRESGID] = 3, [OP_SETRESUID] = 3, [OP_CAPSET] = 3, [OP_AMBIENT] = 1, [OP_RLIMIT] = 3,
  [OP_CAPEDIT] = 3, [OP_SLEEP] = 1, [OP_SECCOMP] = 1, [OP_MASK] = 1, [OP_READONLY] = 1, [OP_WRITEFILE] = 3,
  [OP_JOIN] = 1, [OP_STARTGATE] = 1, [OP_SETNS] = 2,
};

void steps_run(const struct plan *plan, int err_fd) {
  for (int i = 0; i < MAX_SLOTS; i++) slots[i] = -1;
  for (size_t i = 0; i < plan->nsteps; i++) {
    const struct step *s = &plan->steps[i];
    if (s->argc < arity[s->op]) fail_step(err_fd, (int)i, EINVAL);
    if (run_one(s, (int)i) < 0) fail_step(err_fd, (int)i, errno);
  }
  /* A change of ids clears the dumpable flag, which would hand /proc/1 to the host's root
   * ("nobody" inside); setresuid also clears the parent-death signal. Restore both. */
  (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}
