/* Members applied to an image root. Every path is resolved inside the root (openat2 with
 * RESOLVE_IN_ROOT, then *at calls on single names with O_NOFOLLOW), so "..", absolute names,
 * and symlinks planted by earlier members or layers never lead outside it. */
#ifndef MINICTL_UNPACK_APPLY_H
#define MINICTL_UNPACK_APPLY_H

#include "pool.h"
#include "tar.h"

struct applier;

/* root: an O_PATH descriptor of the (empty) image root. owners: give members the archive's
 * owners (as root of a user namespace); ids it does not map stay root's, counted. */
struct applier *applier_new(int root, int owners, struct pool *pool);
/* The next input: a layer (whiteouts apply, removals of lower content) or a plain archive. */
void applier_input(struct applier *a, int layer);
/* Whether the bytes about to be fed stay valid until applier_flush (a mapped archive): files
 * are then written straight from them. */
void applier_stable(struct applier *a, int stable);
/* Wait until every file of the input is written. */
void applier_flush(struct applier *a);
/* For the first archive: if its first member shows an image archive (docker save, OCI
 * layout), members go to `staging` instead, readable by the caller and without owners. */
void applier_detect(struct applier *a, int staging);
/* Whether the detection above chose the staging root. */
int applier_is_archive(const struct applier *a);
const struct tar_handler *applier_handler(struct applier *a);
/* Wait for the workers, then give directories their modes and mtimes, deepest first. */
int applier_finish(struct applier *a);

#endif
