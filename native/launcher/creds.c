#include "creds.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int get_caps(struct capsets *c) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) return -1;
  c->p = d[0].permitted | ((unsigned long long)d[1].permitted << 32);
  c->e = d[0].effective | ((unsigned long long)d[1].effective << 32);
  c->i = d[0].inheritable | ((unsigned long long)d[1].inheritable << 32);
  return 0;
}

enum { E = 1, P = 2, I = 4 }; /* libcap's numbering of flag combinations */

static void flag_text(int combo, char *out) {
  char *o = out;
  if (combo & E) *o++ = 'e';
  if (combo & I) *o++ = 'i';
  if (combo & P) *o++ = 'p';
  *o = '\0';
}

/* The same layout as packages/caps capToText (libcap's cap_to_text): the most common flag
 * combination becomes "=flags" for all, every other combination a clause relative to it. */
static void print_caps(const struct capsets *c, const char *const *names, int count) {
  int combo_of[64], size[8] = {0};
  for (int n = 0; n < count && n < 64; n++) {
    unsigned long long bit = 1ULL << n;
    combo_of[n] = (c->e & bit ? E : 0) | (c->p & bit ? P : 0) | (c->i & bit ? I : 0);
    size[combo_of[n]]++;
  }
  int base = 7;
  for (int k = 6; k >= 0; k--)
    if (size[k] >= size[base]) base = k;
  char flags[4];
  int first = 1, skip_base = base == 0;
  if (!skip_base) {
    flag_text(base, flags);
    printf("=%s", flags);
    first = 0;
  }
  for (int k = 7; k >= 0; k--) {
    if (k == base || size[k] == 0) continue;
    printf("%s", first ? "" : " ");
    int sep = 0;
    for (int n = 0; n < count && n < 64; n++)
      if (combo_of[n] == k) printf("%s%s", sep++ ? "," : "", names[n]);
    int raise = k & ~base, lower = base & ~k;
    if (raise) flag_text(raise, flags), printf("%s%s", skip_base && first ? "=" : "+", flags);
    if (lower) flag_text(lower, flags), printf("-%s", flags);
    first = 0;
  }
  if (first) printf("=");
}

static void print_mask(unsigned long long mask, const char *const *names, int count) {
  unsigned long long all = count >= 64 ? ~0ULL : (1ULL << count) - 1;
  if ((mask & all) == all) {
    printf("all");
    return;
  }
  int sep = 0;
  for (int n = 0; n < count && n < 64; n++)
    if (mask & (1ULL << n)) printf("%s%s", sep++ ? "," : "", names[n]);
  if (!sep) printf("(none)");
}

int show_creds(const char *const *names, int count) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  gid_t groups[256];
  struct capsets c;
  int n = getgroups(256, groups);
  int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || n < 0 || bits < 0 || get_caps(&c) < 0) return -1;
  unsigned long long bounding = 0, ambient = 0;
  for (int k = 0; k < count && k < 64; k++) {
    if (prctl(PR_CAPBSET_READ, k, 0, 0, 0) == 1) bounding |= 1ULL << k;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, k, 0, 0) == 1) ambient |= 1ULL << k;
  }
  printf("uids: real=%u effective=%u saved=%u\n", ru, eu, su);
  printf("gids: real=%u effective=%u saved=%u\n", rg, eg, sg);
  printf("groups:");
  for (int k = 0; k < n; k++) printf(" %u", groups[k]);
  static const char letters[] = "rRsSkKaA";
  printf("\nsecurebits: 0x%x ", bits);
  int any = 0;
  for (int k = 0; k < 8; k++)
    if (bits & (1 << k)) putchar(letters[k]), any = 1;
  if (!any) putchar('0');
  printf("\ncapabilities: ");
  print_caps(&c, names, count);
  printf("\nbounding: ");
  print_mask(bounding, names, count);
  printf("\nambient: ");
  print_mask(ambient, names, count);
  printf("\n");
  return fflush(stdout) == 0 ? 0 : -1;
}
