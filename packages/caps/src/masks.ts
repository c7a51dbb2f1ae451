import { CapsError } from "./errors";
import { capName, capNumber, lastCap } from "./names";

/** A capability set as a bit mask: bit n set = capability n present. */
export type CapMask = bigint;

/** The five per-thread capability sets, as capabilities(7) describes them. */
export interface CapSets {
  permitted: CapMask;
  effective: CapMask;
  inheritable: CapMask;
  bounding: CapMask;
  ambient: CapMask;
}

/** The three sets that the cap_from_text(3) language describes (e, i, p). */
export type CapFlagSets = Pick<CapSets, "permitted" | "effective" | "inheritable">;

/** Every capability 0..last. */
export function allMask(last: number = lastCap()): CapMask {
  return (1n << BigInt(last + 1)) - 1n;
}

export function hasCap(mask: CapMask, n: number): boolean {
  return ((mask >> BigInt(n)) & 1n) === 1n;
}

export function maskOf(names: readonly string[], last: number = lastCap()): CapMask {
  let mask = 0n;
  for (const name of names) mask |= 1n << BigInt(capNumber(name, last));
  return mask;
}

/**
 * Refuses masks that are negative or name capabilities the kernel does not
 * have: printing or applying them would silently drop those bits.
 */
export function checkMask(mask: CapMask, last: number = lastCap()): void {
  if (mask < 0n || (mask & ~allMask(last)) !== 0n) {
    const shown = mask < 0n ? `-0x${(-mask).toString(16)}` : `0x${mask.toString(16)}`;
    throw new CapsError(
      `capability mask ${shown} has bits outside 0..${last} (${capName(0)}..${capName(last)})`,
      shown,
    );
  }
}

/** Canonical names of the capabilities in `mask`, in capability-number order. */
export function namesOf(mask: CapMask, last: number = lastCap()): string[] {
  checkMask(mask, last);
  const names: string[] = [];
  for (let n = 0; n <= last; n++) if (hasCap(mask, n)) names.push(capName(n));
  return names;
}
