import { CapsError } from "./errors";
import { capNumber, lastCap } from "./names";
import { allMask, type CapSets } from "./masks";

const SET_BY_LETTER: Readonly<Record<string, keyof CapSets>> = {
  p: "permitted",
  e: "effective",
  i: "inheritable",
  b: "bounding",
  a: "ambient",
};

/**
 * Applies one edit such as `p+cap_kill`, `a-cap_net_raw` or `b-all` to a copy
 * of `sets`. Kernel rules (ambient needs permitted and inheritable, and so on)
 * are left to the kernel; only `b+` is refused here because no process can
 * ever grow its bounding set, so the request can only be a mistake.
 */
export function applySetEdit(sets: CapSets, edit: string, last: number = lastCap()): CapSets {
  const match = /^([peiba])([+-])(\w+)$/.exec(edit);
  if (match === null) {
    throw new CapsError(
      `Badly formed capability edit "${edit}" (expected SET+CAP or SET-CAP, SET one of p e i b a, CAP a name or "all", e.g. "p+cap_kill", "b-all")`,
      edit,
    );
  }
  const [, letter, op, cap] = match;
  if (letter === "b" && op === "+") {
    throw new CapsError(
      `cannot add to the bounding set ("${edit}"): it can only shrink, use b-${cap}`,
      edit,
    );
  }
  const bits = cap.toLowerCase() === "all" ? allMask(last) : 1n << BigInt(capNumber(cap, last));
  const key = SET_BY_LETTER[letter];
  return { ...sets, [key]: op === "+" ? sets[key] | bits : sets[key] & ~bits };
}
