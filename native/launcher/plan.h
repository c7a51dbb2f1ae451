/* The launch plan: a flat list of primitive steps decided by the TypeScript policy layer
 * (packages/nsproc) and executed here in order. Keep the opcodes in sync with native/src/plan.ts. */
#ifndef MINICTL_PLAN_H
#define MINICTL_PLAN_H

#include <stddef.h>
#include <stdint.h>

enum op {
  OP_CONFIG = 1,   /* clone_flags init tty [exit_file]: exit_file set = detached (outlives Node,
                      records the container's exit status there) */
  OP_MOUNT = 2,    /* src target fstype msflags data  (classic mount(2)) */
  OP_FSMOUNT = 3,  /* slot fstype attrs fallback_path [key value]...  (detached new-API mount) */
  OP_CLONE = 4,    /* slot path recursive attrs  (detached copy of a host mount tree) */
  OP_ATTACH = 5,   /* slot target [optional]  (move a detached mount onto a path; "optional": ENOENT skips) */
  OP_PIVOT = 6,    /* dir */
  OP_MKDIR = 7,    /* path mode  (like mkdir -p) */
  OP_MKFILE = 8,   /* path  (empty file, a bind target) */
  OP_SYMLINK = 9,  /* target linkpath */
  OP_HOSTNAME = 10,/* name */
  OP_LOUP = 11,    /* bring lo up */
  OP_CHDIR = 12,   /* dir, checked to be inside the root */
  OP_ARGV = 13,    /* argv... (the command; also the "exec" step for error reports) */
  OP_ENV = 14,     /* KEY=VALUE... */
  OP_BSET = 15,    /* keep_mask_hex: drop every other capability from the bounding set */
  OP_SECUREBITS = 16, /* bits */
  OP_SETGROUPS = 17,  /* gid... (none = empty list) */
  OP_SETRESGID = 18, /* rgid egid sgid */
  OP_SETRESUID = 19, /* ruid euid suid */
  OP_CAPSET = 20,  /* permitted_hex effective_hex inheritable_hex */
  OP_AMBIENT = 21, /* mask_hex: raise exactly these ambient capabilities */
  OP_NNP = 22,     /* set no_new_privs */
  OP_RLIMIT = 23,  /* resource soft hard */
  OP_CAPEDIT = 24, /* set(p|e|i|b|a) op(+|-) mask_hex: one edit of one capability set */
  OP_SHOWCREDS = 25, /* cap names in number order: print ids, groups, securebits, capabilities */
  OP_SLEEP = 26,   /* seconds */
  OP_SECCOMP = 27, /* filter_hex: classic BPF (struct sock_filter, host byte order) to install */
  OP_MASK = 28,    /* path: hide it (a directory under an empty read-only tmpfs, a file under /dev/null); ENOENT skips */
  OP_READONLY = 29,/* path: bind it onto itself read-only, recursively; ENOENT skips */
  OP_WRITEFILE = 30, /* path content mode: create or replace a regular file (no symlink followed at the end) */
  OP_JOIN = 31,    /* pid: enter every namespace of pid (user first), for exec into a running container */
  OP_STARTGATE = 32, /* fifo: before exec, announce READY and wait for one byte on it (OCI create/start) */
  OP_CONSOLE = 33, /* socket: send the pty master there (OCI --console-socket) instead of relaying it */
  OP_SETNS = 34,   /* path nstype: join that namespace instead of making one (user and pid: by the
                      launcher, before clone, so that the child is born in them; others: by the
                      child, first) */
  OP_MAX
};

#define PLAN_MAGIC 0x3150434dU /* "MCP1" little endian */
#define MAX_SLOTS 64

struct step {
  uint16_t op;
  uint16_t argc;
  char **argv; /* NUL-terminated strings pointing into the plan buffer */
};

struct plan {
  struct step *steps;
  size_t nsteps;
  unsigned long clone_flags;
  int init;
  int tty;
  const char *exit_file; /* detached: where the exit status goes; NULL otherwise */
  const char *console_socket; /* where the pty master goes; NULL: the launcher relays it */
  const char *userns_path; /* a user namespace to join before clone; NULL: clone makes one */
  const char *pidns_path;  /* likewise for the pid namespace the child is born into */
  int argv_index; /* index of OP_ARGV: the step reported when exec fails */
  char **cmd;
  char **env;
};

/* Decode a plan buffer (modified in place). Returns 0, or -1 with errno = EINVAL. A prelude
 * (the steps the launcher needs before clone) has no OP_ARGV; a plan to run must have one. */
int plan_decode(unsigned char *buf, size_t len, struct plan *out);

#endif
