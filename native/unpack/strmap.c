#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static struct strmap_item *slot(const struct strmap *m, const char *key) {
  if (!m->cap) return NULL;
  size_t i = hash(key) & (m->cap - 1);
  for (;;) {
    struct strmap_item *it = &m->items[i];
    if (!it->key) return NULL;
    if (it->key != STRMAP_TOMB && strcmp(it->key, key) == 0) return it;
    i = (i + 1) & (m->cap - 1);
  }
}

void *strmap_get(const struct strmap *m, const char *key, int *found) {
  struct strmap_item *it = slot(m, key);
  if (found) *found = it != NULL;
  return it ? it->value : NULL;
}

static int grow(struct strmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 256;
  struct strmap_item *items = calloc(cap, sizeof(*items));
  if (!items) return -1;
  for (size_t i = 0; i < m->cap; i++) {
    struct strmap_item *it = &m->items[i];
    if (!it->key || it->key == STRMAP_TOMB) continue;
    size_t j = hash(it->key) & (cap - 1);
    while (items[j].key) j = (j + 1) & (cap - 1);
    items[j] = *it;
  }
  free(m->items);
  m->items = items;
  m->cap = cap;
  m->used = m->live;
  return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value) {
  struct strmap_item *it = slot(m, key);
  if (it) {
    free(it->value);
    it->value = value;
    return 0;
  }
  if ((m->used + 1) * 2 > m->cap && grow(m) < 0) return -1;
  size_t i = hash(key) & (m->cap - 1);
  while (m->items[i].key && m->items[i].key != STRMAP_TOMB) i = (i + 1) & (m->cap - 1);
  if (!m->items[i].key) m->used++;
  m->items[i].key = strdup(key);
  m->items[i].value = value;
  m->live++;
  return m->items[i].key ? 0 : -1;
}

static void drop(struct strmap *m, struct strmap_item *it) {
  free(it->key);
  free(it->value);
  it->key = STRMAP_TOMB;
  it->value = NULL;
  m->live--;
}

void strmap_remove(struct strmap *m, const char *key) {
  struct strmap_item *it = slot(m, key);
  if (it) drop(m, it);
}

void strmap_remove_tree(struct strmap *m, const char *key) {
  size_t n = strlen(key);
  if (n == 0) {
    strmap_clear(m);
    return;
  }
  for (size_t i = 0; i < m->cap; i++) {
    struct strmap_item *it = &m->items[i];
    if (!it->key || it->key == STRMAP_TOMB) continue;
    if (strncmp(it->key, key, n) == 0 && (it->key[n] == '\0' || it->key[n] == '/')) drop(m, it);
  }
}

void strmap_clear(struct strmap *m) {
  for (size_t i = 0; i < m->cap; i++) {
    struct strmap_item *it = &m->items[i];
    if (it->key && it->key != STRMAP_TOMB) {
      free(it->key);
      free(it->value);
    }
  }
  free(m->items);
  memset(m, 0, sizeof(*m));
}
