import { CapsError } from "./errors";
import { capName, capNumber, lastCap } from "./names";
import { allMask, checkMask, hasCap, type CapFlagSets, type CapMask } from "./masks";

// Flag combinations as libcap numbers them (e=1, p=2, i=4), so that ties and
// clause order in capToText come out as libcap prints them.
const E = 1;
const P = 2;
const I = 4;
const FLAG_LETTERS = "eip";

const EXPECTED = `expected clauses like "cap_chown,cap_kill+ep", "all=eip cap_sys_admin-e" or "="`;

function badClause(clause: string, problem: string): CapsError {
  return new CapsError(`bad capability clause "${clause}": ${problem} (${EXPECTED})`, clause);
}

function listMask(clause: string, list: string, last: number): CapMask {
  let mask = 0n;
  for (const name of list.split(",")) {
    if (name === "") throw badClause(clause, "empty name in the capability list");
    mask |= name.toLowerCase() === "all" ? allMask(last) : 1n << BigInt(capNumber(name, last));
  }
  return mask;
}

/**
 * Parses the cap_from_text(3) language into the three sets it describes.
 * Whitespace-separated clauses apply in order to sets that start empty. A
 * clause is `LIST` then one or more `OP FLAGS`: `=` first clears LIST from
 * all three sets then raises FLAGS (it may only open the action list),
 * `+`/`-` raise/lower at least one flag. LIST may be left out only in a bare
 * `=FLAGS` clause, where it means all (as libcap does).
 */
export function parseCapText(text: string, last: number = lastCap()): CapFlagSets {
  const sets = { e: 0n, p: 0n, i: 0n };
  for (const clause of text.split(/\s+/).filter((c) => c !== "")) {
    const opAt = clause.search(/[=+-]/);
    if (opAt < 0) throw badClause(clause, "no operator (=, + or -)");
    const list = clause.slice(0, opAt);
    if (list === "" && !/^=[^=+-]*$/.test(clause)) {
      throw badClause(clause, `without a capability list only "=FLAGS" is allowed (write "all" before other operators)`);
    }
    const caps = list === "" ? allMask(last) : listMask(clause, list, last);
    for (const [index, action] of (clause.slice(opAt).match(/[=+-][^=+-]*/g) ?? []).entries()) {
      const op = action[0];
      const letters = action.slice(1);
      if (op === "=" && index > 0) throw badClause(clause, `"=" may only be the first operator`);
      if (op !== "=" && letters === "") throw badClause(clause, `"${op}" needs flags from e, i, p`);
      for (const letter of letters) {
        if (!FLAG_LETTERS.includes(letter)) throw badClause(clause, `unknown flag "${letter}" (flags are e, i, p)`);
      }
      if (op === "=") {
        sets.e &= ~caps;
        sets.p &= ~caps;
        sets.i &= ~caps;
      }
      for (const letter of letters) {
        const key = letter as keyof typeof sets;
        sets[key] = op === "-" ? sets[key] & ~caps : sets[key] | caps;
      }
    }
  }
  return { effective: sets.e, permitted: sets.p, inheritable: sets.i };
}

function flagText(bits: number): string {
  return (bits & E ? "e" : "") + (bits & I ? "i" : "") + (bits & P ? "p" : "");
}

/**
 * Prints the three sets in the cap_to_text(3) style. The flag combination
 * shared by most capabilities becomes the base clause `=FLAGS` (ties go to
 * the lower combination number, which favours `=` for a half-empty state); every other
 * combination present becomes one clause listing its capabilities with the
 * flags to raise and lower relative to the base.
 */
export function capToText(sets: CapFlagSets, last: number = lastCap()): string {
  checkMask(sets.effective, last);
  checkMask(sets.permitted, last);
  checkMask(sets.inheritable, last);
  const groups: string[][] = Array.from({ length: 8 }, () => []);
  for (let n = 0; n <= last; n++) {
    const combo =
      (hasCap(sets.effective, n) ? E : 0) |
      (hasCap(sets.permitted, n) ? P : 0) |
      (hasCap(sets.inheritable, n) ? I : 0);
    groups[combo].push(capName(n));
  }
  let base = 7;
  for (let combo = 6; combo >= 0; combo--) {
    if (groups[combo].length >= groups[base].length) base = combo;
  }
  const clauses = [`=${flagText(base)}`];
  for (let combo = 7; combo >= 0; combo--) {
    if (combo === base || groups[combo].length === 0) continue;
    const raise = combo & ~base;
    const lower = base & ~combo;
    clauses.push(
      groups[combo].join(",") + (raise ? `+${flagText(raise)}` : "") + (lower ? `-${flagText(lower)}` : ""),
    );
  }
  if (base === 0 && clauses.length > 1) {
    // "= a,b+ep" means the same as the shorter "a,b=ep"
    clauses.shift();
    clauses[0] = clauses[0].replace("+", "=");
  }
  return clauses.join(" ");
}
