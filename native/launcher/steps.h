#ifndef MINICTL_STEPS_H
#define MINICTL_STEPS_H

#include "plan.h"

/* Run every step of the plan in the container child, in order. On the first failure the
 * {step index, errno} pair goes to err_fd and the child exits. */
void steps_run(const struct plan *plan, int err_fd);

/* The fifo of OP_STARTGATE (-1 without one): exec waits for a byte on it. */
extern int start_gate;

#endif
