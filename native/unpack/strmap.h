/* A map from path strings to small records (or to nothing, as a set). */
#ifndef MINICTL_UNPACK_STRMAP_H
#define MINICTL_UNPACK_STRMAP_H

#include <stddef.h>

struct strmap_item {
  char *key; /* NULL: empty slot; TOMB: removed */
  void *value;
};

struct strmap {
  struct strmap_item *items;
  size_t cap, used, live;
};

void *strmap_get(const struct strmap *m, const char *key, int *found);
/* Insert or replace; the map copies key and owns value (freed with free()). */
int strmap_put(struct strmap *m, const char *key, void *value);
void strmap_remove(struct strmap *m, const char *key);
/* Remove key and every key below it ("a" takes "a/b" but not "ab"). */
void strmap_remove_tree(struct strmap *m, const char *key);
void strmap_clear(struct strmap *m);

#define STRMAP_TOMB ((char *)1)

#endif
