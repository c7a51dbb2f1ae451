import { describe, expect, it } from "vitest";
import { CapsError, SECBITS, parseSecurebits, securebitsToLetters } from "../src/index";
import { expectThrown } from "../../../test/support/expect-thrown";

const thrown = (fn: () => unknown): CapsError => expectThrown(CapsError, fn);

describe("SECBITS", () => {
  it("matches linux/securebits.h", () => {
    expect(SECBITS).toEqual({
      NOROOT: 1,
      NOROOT_LOCKED: 2,
      NO_SETUID_FIXUP: 4,
      NO_SETUID_FIXUP_LOCKED: 8,
      KEEP_CAPS: 16,
      KEEP_CAPS_LOCKED: 32,
      NO_CAP_AMBIENT_RAISE: 64,
      NO_CAP_AMBIENT_RAISE_LOCKED: 128,
    });
    expect(Object.isFrozen(SECBITS)).toBe(true);
  });
});

describe("parseSecurebits", () => {
  it.each([
    ["0", 0],
    ["r", SECBITS.NOROOT],
    ["R", SECBITS.NOROOT_LOCKED],
    ["s", SECBITS.NO_SETUID_FIXUP],
    ["S", SECBITS.NO_SETUID_FIXUP_LOCKED],
    ["k", SECBITS.KEEP_CAPS],
    ["K", SECBITS.KEEP_CAPS_LOCKED],
    ["a", SECBITS.NO_CAP_AMBIENT_RAISE],
    ["A", SECBITS.NO_CAP_AMBIENT_RAISE_LOCKED],
    ["rR", 3],
    ["Rr", 3],
    ["rr", 1],
    ["rRsSkKaA", 0xff],
    ["16", 16],
    ["255", 255],
    ["0x2f", 0x2f],
    ["0X2F", 0x2f],
    ["0x0", 0],
  ])("%j is %i", (text, bits) => {
    expect(parseSecurebits(text)).toBe(bits);
  });

  it("names the unknown letter and what is accepted", () => {
    const err = thrown(() => parseSecurebits("rx"));
    expect(err.message).toBe(
      `unknown securebits letter "x" in "rx" (accepted: letters from rRsSkKaA (lower case sets, upper case locks), 0 for none, or a number such as 44 or 0x2c up to 0xff)`,
    );
    expect(err.input).toBe("rx");
  });

  it.each(["", "x", "0r", "r0", " r", "256", "0x100", "-1", "1.5", "0x", "1e3"])("refuses %j", (text) => {
    expect(thrown(() => parseSecurebits(text)).input).toBe(text);
  });
});

describe("securebitsToLetters", () => {
  it.each([
    [0, "0"],
    [1, "r"],
    [3, "rR"],
    [0x2f, "rRsSK"],
    [SECBITS.KEEP_CAPS | SECBITS.NO_CAP_AMBIENT_RAISE_LOCKED, "kA"],
    [0xff, "rRsSkKaA"],
  ])("%i is %j", (bits, letters) => {
    expect(securebitsToLetters(bits)).toBe(letters);
  });

  it("round-trips every value", () => {
    for (let bits = 0; bits <= 0xff; bits++) {
      expect(parseSecurebits(securebitsToLetters(bits))).toBe(bits);
    }
  });

  it.each([256, -1, 1.5, Number.NaN])("refuses %d", (bits) => {
    expect(thrown(() => securebitsToLetters(bits)).input).toBe(String(bits));
  });
});
