import { CapsError } from "./errors";

/** The securebits flags of prctl(PR_SET_SECUREBITS), see capabilities(7). */
export const SECBITS = Object.freeze({
  NOROOT: 1,
  NOROOT_LOCKED: 2,
  NO_SETUID_FIXUP: 4,
  NO_SETUID_FIXUP_LOCKED: 8,
  KEEP_CAPS: 16,
  KEEP_CAPS_LOCKED: 32,
  NO_CAP_AMBIENT_RAISE: 64,
  NO_CAP_AMBIENT_RAISE_LOCKED: 128,
} as const);

const ALL_SECBITS = 0xff;

// Lower case sets a flag, upper case locks it; listed in bit order, which is
// also the order securebitsToLetters prints.
const LETTERS: ReadonlyArray<readonly [string, number]> = [
  ["r", SECBITS.NOROOT],
  ["R", SECBITS.NOROOT_LOCKED],
  ["s", SECBITS.NO_SETUID_FIXUP],
  ["S", SECBITS.NO_SETUID_FIXUP_LOCKED],
  ["k", SECBITS.KEEP_CAPS],
  ["K", SECBITS.KEEP_CAPS_LOCKED],
  ["a", SECBITS.NO_CAP_AMBIENT_RAISE],
  ["A", SECBITS.NO_CAP_AMBIENT_RAISE_LOCKED],
];
const BIT_OF_LETTER = new Map(LETTERS);

const ACCEPTED = `accepted: letters from rRsSkKaA (lower case sets, upper case locks), 0 for none, or a number such as 44 or 0x2c up to 0xff`;

/** Parses `rR`, `0`, `44` or `0x2c` into a securebits value. */
export function parseSecurebits(letters: string): number {
  if (/^(\d+|0x[0-9a-f]+)$/i.test(letters)) {
    const bits = Number(letters);
    if (bits > ALL_SECBITS) {
      throw new CapsError(`securebits value ${letters} has undefined bits (${ACCEPTED})`, letters);
    }
    return bits;
  }
  if (letters === "") throw new CapsError(`empty securebits (${ACCEPTED})`, letters);
  let bits = 0;
  for (const letter of letters) {
    const bit = BIT_OF_LETTER.get(letter);
    if (bit === undefined) {
      throw new CapsError(`unknown securebits letter "${letter}" in "${letters}" (${ACCEPTED})`, letters);
    }
    bits |= bit;
  }
  return bits;
}

/** The letter form of a securebits value; `0` when none is set. */
export function securebitsToLetters(bits: number): string {
  if (!Number.isInteger(bits) || bits < 0 || bits > ALL_SECBITS) {
    throw new CapsError(`securebits value ${bits} is not an integer in 0..0xff`, String(bits));
  }
  if (bits === 0) return "0";
  return LETTERS.filter(([, bit]) => (bits & bit) !== 0)
    .map(([letter]) => letter)
    .join("");
}
