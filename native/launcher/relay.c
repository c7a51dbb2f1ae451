#include "relay.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;

void relay_start(struct relay *r, int master) {
  r->master = master;
  r->in_open = 1;
  r->raw = 0;
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
    struct termios raw = saved;
    cfmakeraw(&raw);
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0) r->raw = 1;
  }
  relay_resize(r);
}

void relay_resize(const struct relay *r) {
  struct winsize ws;
  if (r->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ioctl(r->master, TIOCSWINSZ, &ws);
}

int relay_pump(struct relay *r, int fd) {
  char buf[16384];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (fd == STDIN_FILENO) {
    if (n > 0) {
      (void)write_all(r->master, buf, (size_t)n);
    } else {
      /* End of input: the terminal's end-of-file character, so that a shell reading it ends
       * as it would at a keyboard's Ctrl-D. */
      r->in_open = 0;
      (void)write_all(r->master, "\x04", 1);
    }
    return 0;
  }
  if (n <= 0) return -1; /* EIO: every slave is closed */
  (void)write_all(STDOUT_FILENO, buf, (size_t)n);
  return 0;
}

void relay_finish(struct relay *r) {
  if (r->master >= 0) {
    struct pollfd p = {.fd = r->master, .events = POLLIN};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && relay_pump(r, r->master) == 0) {
    }
    close(r->master);
    r->master = -1;
  }
  if (r->raw) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
  r->raw = 0;
}
