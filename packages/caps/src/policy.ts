import { lastCap } from "./names";
import { allMask, maskOf, type CapSets } from "./masks";

/** The capabilities Docker and Podman give a container unless told otherwise. */
export const DEFAULT_CAPS: readonly string[] = Object.freeze([
  "cap_chown",
  "cap_dac_override",
  "cap_fowner",
  "cap_fsetid",
  "cap_kill",
  "cap_setgid",
  "cap_setuid",
  "cap_setpcap",
  "cap_net_bind_service",
  "cap_net_raw",
  "cap_sys_chroot",
  "cap_mknod",
  "cap_audit_write",
  "cap_setfcap",
]);

export interface RunPolicyOptions {
  /** `--cap-add` values: names in any accepted spelling, or `ALL`. */
  capAdd?: string[];
  /** `--cap-drop` values: names in any accepted spelling, or `ALL`. */
  capDrop?: string[];
  /** False when `--user` selects a non-zero uid. */
  rootUser: boolean;
  last?: number;
}

const isAll = (name: string): boolean => name.toLowerCase() === "all";

/**
 * The capability sets `minictl run` gives the container process, resolved as
 * Docker resolves --cap-add/--cap-drop: adding ALL means every capability but
 * the dropped ones; otherwise dropping ALL means only the added ones;
 * otherwise the defaults minus the dropped plus the added. Inheritable and
 * ambient stay empty so file capabilities cannot be regained at exec
 * (CVE-2022-24769); a non-root user starts with nothing but the bounding set,
 * as with Docker.
 */
export function resolveRunPolicy(opts: RunPolicyOptions): CapSets {
  const last = opts.last ?? lastCap();
  const add = opts.capAdd ?? [];
  const drop = opts.capDrop ?? [];
  const addMask = maskOf(add.filter((name) => !isAll(name)), last);
  const dropMask = maskOf(drop.filter((name) => !isAll(name)), last);
  let caps: bigint;
  if (add.some(isAll)) caps = allMask(last) & ~dropMask;
  else if (drop.some(isAll)) caps = addMask;
  else caps = (maskOf(DEFAULT_CAPS, last) & ~dropMask) | addMask;
  const granted = opts.rootUser ? caps : 0n;
  return { permitted: granted, effective: granted, inheritable: 0n, bounding: caps, ambient: 0n };
}
