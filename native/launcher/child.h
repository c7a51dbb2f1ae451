#ifndef MINICTL_CHILD_H
#define MINICTL_CHILD_H

#include "plan.h"

/* File descriptors the container child shares with the launcher. */
struct child_fds {
  int go_rd;    /* the plan (u32 length, bytes) once the id maps are written; EOF if the launcher died */
  int err_wr;   /* close-on-exec: {step, errno} on failure, EOF on a successful exec */
  int tty_sock; /* the pty master goes back to the launcher here (-1 without a tty) */
};

/* Runs in the cloned child: wait for the maps and the plan, run it, then exec the command,
 * either directly (it becomes pid 1) or under a minimal init. Never returns. */
void __attribute__((noreturn)) child_main(const struct child_fds *fds);

#endif
