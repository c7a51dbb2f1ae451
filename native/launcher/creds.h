#ifndef MINICTL_CREDS_H
#define MINICTL_CREDS_H

/* The three capability sets capget/capset speak about, as 64-bit masks. */
struct capsets {
  unsigned long long p, e, i;
};

int get_caps(struct capsets *c);
/* Print the process's ids, groups, securebits and capability sets to stdout, the sets in
 * cap_to_text(3) form; names[n] is capability n's name, count = cap_last_cap + 1. */
int show_creds(const char *const *names, int count);

#endif
