#include "plan.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* Wire format, all integers little endian (the host's, sender and receiver are one machine):
 *   u32 nsteps, then per step: u16 op, u16 argc, argc x (u32 len, len bytes).
 * Strings are NUL-terminated in place by shifting each one left over its length field. */

static int get_u32(const unsigned char **p, const unsigned char *end, uint32_t *v) {
  if (end - *p < 4) return -1;
  memcpy(v, *p, 4);
  *p += 4;
  return 0;
}

static int get_u16(const unsigned char **p, const unsigned char *end, uint16_t *v) {
  if (end - *p < 2) return -1;
  memcpy(v, *p, 2);
  *p += 2;
  return 0;
}

static char **null_terminated(const struct step *s) {
  char **v = calloc((size_t)s->argc + 1, sizeof(char *));
  if (!v) return NULL;
  memcpy(v, s->argv, sizeof(char *) * s->argc);
  return v;
}

int plan_decode(unsigned char *buf, size_t len, struct plan *out) {
  const unsigned char *p = buf, *end = buf + len;
  uint32_t n;
  memset(out, 0, sizeof(*out));
  out->argv_index = -1;
  if (get_u32(&p, end, &n) || n > 100000) goto bad;
  out->steps = calloc(n, sizeof(struct step));
  if (!out->steps) return -1;
  out->nsteps = n;
  for (uint32_t i = 0; i < n; i++) {
    struct step *s = &out->steps[i];
    if (get_u16(&p, end, &s->op) || get_u16(&p, end, &s->argc)) goto bad;
    if (s->op == 0 || s->op >= OP_MAX) goto bad;
    s->argv = calloc((size_t)s->argc + 1, sizeof(char *));
    if (!s->argv) return -1;
    for (uint16_t a = 0; a < s->argc; a++) {
      uint32_t l;
      if (get_u32(&p, end, &l) || (size_t)(end - p) < l) goto bad;
      /* Move the bytes 1 left (over the length field's last byte) to make room for a NUL. */
      char *dst = (char *)p - 1;
      memmove(dst, p, l);
      dst[l] = '\0';
      if (memchr(dst, '\0', l)) goto bad; /* embedded NULs would silently truncate paths */
      s->argv[a] = dst;
      p += l;
    }
    switch (s->op) {
    case OP_CONFIG:
      if (s->argc < 3 || s->argc > 4) goto bad;
      out->clone_flags = strtoul(s->argv[0], NULL, 10);
      out->init = atoi(s->argv[1]);
      out->tty = atoi(s->argv[2]);
      out->exit_file = s->argc == 4 ? s->argv[3] : NULL;
      break;
    case OP_ARGV:
      if (s->argc < 1) goto bad;
      out->argv_index = (int)i;
      if (!(out->cmd = null_terminated(s))) return -1;
      break;
    case OP_SETNS:
      if (s->argc != 2) goto bad;
      if (strtoul(s->argv[1], NULL, 10) == CLONE_NEWUSER) out->userns_path = s->argv[0];
      if (strtoul(s->argv[1], NULL, 10) == CLONE_NEWPID) out->pidns_path = s->argv[0];
      break;
    case OP_CONSOLE:
      if (s->argc != 1) goto bad;
      out->console_socket = s->argv[0];
      break;
    case OP_ENV:
      if (!(out->env = null_terminated(s))) return -1;
      break;
    }
  }
  if (p != end) goto bad;
  if (!out->env) out->env = calloc(1, sizeof(char *));
  return 0;
bad:
  errno = EINVAL;
  return -1;
}
