import { readFileSync } from "node:fs";
import { startupSnapshot } from "node:v8";
import { CapsError } from "./errors";

/** Capability names as in capabilities(7); the index is the capability number. */
export const CAP_NAMES: readonly string[] = Object.freeze([
  "cap_chown",
  "cap_dac_override",
  "cap_dac_read_search",
  "cap_fowner",
  "cap_fsetid",
  "cap_kill",
  "cap_setgid",
  "cap_setuid",
  "cap_setpcap",
  "cap_linux_immutable",
  "cap_net_bind_service",
  "cap_net_broadcast",
  "cap_net_admin",
  "cap_net_raw",
  "cap_ipc_lock",
  "cap_ipc_owner",
  "cap_sys_module",
  "cap_sys_rawio",
  "cap_sys_chroot",
  "cap_sys_ptrace",
  "cap_sys_pacct",
  "cap_sys_admin",
  "cap_sys_boot",
  "cap_sys_nice",
  "cap_sys_resource",
  "cap_sys_time",
  "cap_sys_tty_config",
  "cap_mknod",
  "cap_lease",
  "cap_audit_write",
  "cap_audit_control",
  "cap_setfcap",
  "cap_mac_override",
  "cap_mac_admin",
  "cap_syslog",
  "cap_wake_alarm",
  "cap_block_suspend",
  "cap_audit_read",
  "cap_perfmon",
  "cap_bpf",
  "cap_checkpoint_restore",
]);

// Capability sets are 64-bit in the kernel ABI, so no valid last cap exceeds 63.
const MAX_CAP = 63;

let cachedLastCap: number | undefined;
// A start-up snapshot must not carry the building machine's kernel into later boots.
if (startupSnapshot.isBuildingSnapshot()) startupSnapshot.addSerializeCallback(() => (cachedLastCap = undefined));

/**
 * Highest capability number the running kernel knows. Read once: it cannot
 * change while we run. Without procfs, assume the kernel matches our table.
 */
export function lastCap(): number {
  if (cachedLastCap === undefined) {
    cachedLastCap = CAP_NAMES.length - 1;
    try {
      const text = readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim();
      const n = Number(text);
      if (/^\d+$/.test(text) && n <= MAX_CAP) cachedLastCap = n;
    } catch {
      // keep the table's value
    }
  }
  return cachedLastCap;
}

/** Canonical name of capability `n`; numbers newer than our table print as cap_N. */
export function capName(n: number): string {
  return CAP_NAMES[n] ?? `cap_${n}`;
}

function knownRange(last: number): string {
  return `this kernel knows ${capName(0)}..${capName(last)}`;
}

/**
 * Capability number for a name as users type it: CAP_CHOWN, cap_chown, chown
 * (any case), or a number as cap_N or N (how libcap spells capabilities it has
 * no name for). Anything the kernel would not know is refused here, so a typo
 * never silently turns into "no capability".
 */
export function capNumber(name: string, last: number = lastCap()): number {
  const lower = name.toLowerCase();
  const bare = lower.startsWith("cap_") ? lower.slice(4) : lower;
  if (/^\d+$/.test(bare)) {
    const n = Number(bare);
    if (n > last) {
      throw new CapsError(
        `capability number ${bare} in "${name}" is above this kernel's last capability ${last} (${capName(last)})`,
        name,
      );
    }
    return n;
  }
  const n = CAP_NAMES.indexOf(`cap_${bare}`);
  if (n < 0 || n > last) {
    throw new CapsError(
      `unknown capability "${name}" (see 'man 7 capabilities'; ${knownRange(last)})`,
      name,
    );
  }
  return n;
}
