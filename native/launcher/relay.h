#ifndef MINICTL_RELAY_H
#define MINICTL_RELAY_H

/* The launcher's side of an interactive container: the host terminal in raw mode, bytes
 * copied both ways between it and the container's pty master, window size kept in sync. */
struct relay {
  int master;      /* -1 when the container has no tty */
  int in_open;     /* stdin still readable */
  int raw;         /* host terminal switched to raw mode (restore on exit) */
};

void relay_start(struct relay *r, int master);
void relay_resize(const struct relay *r);
/* Copy what is ready on fd (0 or the master). Returns 0, or -1 when the master is done. */
int relay_pump(struct relay *r, int fd);
/* Copy whatever the container printed last, then restore the terminal. */
void relay_finish(struct relay *r);

#endif
