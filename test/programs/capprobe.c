#define _GNU_SOURCE
/* A tiny static test program for the capability tests: prints the capability sets it got
 * at exec, then tries to clear its securebits (which a locked SECBIT_NOROOT forbids). */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) return perror("capget"), 1;
  unsigned long long eff = d[0].effective | ((unsigned long long)d[1].effective << 32);
  unsigned long long prm = d[0].permitted | ((unsigned long long)d[1].permitted << 32);
  printf("uid=%u\neuid=%u\n", getuid(), geteuid());
  printf("CapEff=%016llx\nCapPrm=%016llx\n", eff, prm);
  printf("securebits=0x%x\n", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  int r = prctl(PR_SET_SECUREBITS, 0, 0, 0, 0);
  printf("clear-securebits=%s\n", r == 0 ? "ok" : strerrorname_np(errno));
  return 0;
}
