#include "common.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct stats stats;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int is_failed;
static char step[16];
static char message[1024];
static int error_number;

void fail(const char *s, int err, const char *fmt, ...) {
  pthread_mutex_lock(&lock);
  if (!atomic_load(&is_failed)) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    snprintf(step, sizeof(step), "%s", s);
    error_number = err;
    atomic_store(&is_failed, 1);
  }
  pthread_mutex_unlock(&lock);
}

int failed(void) { return atomic_load(&is_failed); }
const char *failure_step(void) { return step; }
const char *failure_message(void) { return message; }
int failure_errno(void) { return error_number; }

void quote_name(char *out, size_t cap, const char *name, size_t len) {
  size_t o = 0;
  /* Long names are cut: the message must stay one readable line. */
  const size_t keep = 300;
  if (cap < 16) return;
  out[o++] = '"';
  for (size_t i = 0; i < len && o + 8 < cap; i++) {
    if (i == keep) {
      o += (size_t)snprintf(out + o, cap - o, "...");
      break;
    }
    unsigned char c = (unsigned char)name[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o++] = '"';
  out[o] = '\0';
}
