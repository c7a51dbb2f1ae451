import { EPERM, type SeccompProfile } from "./profile";

/**
 * The system calls minictl's default filter answers with EPERM: the deny list
 * that container engines share, trimmed to what a rootless container has no
 * business calling. Most of them already fail in a user namespace, because
 * they check a capability in the initial namespace; the filter stops them
 * before they reach that code at all, which removes kernel attack surface and
 * keeps working if a namespaced capability check is added (or a bug found).
 * Calls an architecture does not have are skipped when compiling for it.
 *
 * Deliberately not here: ptrace (debuggers and strace need it; since Linux 4.8
 * the filter runs again after a tracer changes a call, so a tracer can no
 * longer slip a call past it), name_to_handle_at,
 * mount_setattr, fanotify_init, kcmp, personality (inside the user namespace
 * these are checked by the kernel or harmless).
 */
export const DEFAULT_DENY_SYSCALLS: readonly string[] = Object.freeze([
  "keyctl", // the kernel keyrings are not namespaced: other users' and containers' keys
  "add_key", // same: adds to the shared keyrings and their quota
  "request_key", // same: can start a host-side upcall (/sbin/request-key)
  "bpf", // loads programs into the kernel; verifier bugs are a recurring escape
  "perf_event_open", // leaks host kernel addresses and events; large attack surface
  "kexec_load", // replaces the running kernel
  "kexec_file_load", // same, from a file
  "init_module", // loads a kernel module
  "finit_module", // same, from a file descriptor
  "delete_module", // unloads a kernel module
  "open_by_handle_at", // opens host files by handle, bypassing the mount tree ("shocker")
  "userfaultfd", // stalls kernel page faults at will: the standard primitive for race exploits
  "reboot", // reboots the host or enables ctrl-alt-del
  "swapon", // host swap configuration
  "swapoff", // same
  "acct", // host process accounting
  "settimeofday", // the clock is not namespaced: sets host time
  "clock_settime", // same
  "clock_adjtime", // same, via the NTP interface
  "adjtimex", // same (also refuses read-only queries; see README)
  "stime", // same, legacy 32-bit call
  "syslog", // reads and clears the host kernel log (kernel addresses)
  "iopl", // raw I/O port access
  "ioperm", // same, per port
  "lookup_dcookie", // profiling interface, host paths
  "quotactl", // host filesystem quotas
  "nfsservctl", // removed NFS server control
  "vm86", // 32-bit x86 virtual-8086 mode
  "vm86old", // same, older interface
  "uselib", // obsolete a.out loader, a past source of exploits
  "_sysctl", // removed binary sysctl interface
  "create_module", // removed module interface
  "get_kernel_syms", // same
  "query_module", // same
]);

/** The request codes of ioctl(2) that the default filter refuses. */
export const TIOCSTI = 0x5412; // pushes bytes into a terminal's input: keystrokes into the host shell
export const TIOCLINUX = 0x541c; // virtual console control; subcodes can inject input (like TIOCSTI)

/**
 * Mask for the ioctl request argument. The kernel declares the request as
 * `unsigned int` and drops the upper 32 bits of the register, so 0x100005412
 * IS TIOCSTI to the kernel. A rule comparing all 64 bits for equality with
 * 0x5412 would let that value through (Flatpak's CVE-2019-10063); so the rule
 * masks the argument to its low 32 bits and compares those, which refuses every
 * value whose low half is TIOCSTI, whatever the high half holds.
 */
const LOW_32_BITS = 0xffffffffn;

/** minictl's default profile: ALLOW, with EPERM for the deny list and the two ioctls. */
let cached: SeccompProfile | undefined;

/** The default profile: one shared, frozen object, so that its compiled filter can be reused. */
export function defaultProfile(): SeccompProfile {
  cached ??= deepFreeze(buildDefaultProfile());
  return cached;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function buildDefaultProfile(): SeccompProfile {
  const ioctl = (request: number) => ({
    names: ["ioctl"],
    action: "SCMP_ACT_ERRNO" as const,
    errnoRet: EPERM,
    args: [{ index: 1, value: LOW_32_BITS, valueTwo: BigInt(request), op: "SCMP_CMP_MASKED_EQ" as const }],
  });
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [
      { names: [...DEFAULT_DENY_SYSCALLS], action: "SCMP_ACT_ERRNO", errnoRet: EPERM, args: [] },
      ioctl(TIOCSTI),
      ioctl(TIOCLINUX),
    ],
  };
}
