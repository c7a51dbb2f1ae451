import { describe, expect, it } from "vitest";
import { CapsError, allMask, capToText, parseCapText, type CapFlagSets } from "../src/index";
import { expectThrown } from "../../../test/support/expect-thrown";

const LAST = 40;
const ALL = allMask(LAST);
const bit = (n: number): bigint => 1n << BigInt(n);
const CHOWN = bit(0);
const KILL = bit(5);
const SETUID = bit(7);
const SETPCAP = bit(8);
const SYS_ADMIN = bit(21);

const sets = (effective: bigint, permitted: bigint, inheritable: bigint): CapFlagSets => ({
  effective,
  permitted,
  inheritable,
});

// Expected printed forms are what libcap 2.66's cap_to_text gives for the same state.
// Bare names (`sys_admin`) and `cap_N` are our extensions; libcap's parser refuses them.
const EXAMPLES: Array<[string, CapFlagSets, string]> = [
  ["cap_chown,cap_kill+ep", sets(CHOWN | KILL, CHOWN | KILL, 0n), "cap_chown,cap_kill=ep"],
  ["all=eip cap_sys_admin-e", sets(ALL & ~SYS_ADMIN, ALL, ALL), "=eip cap_sys_admin-e"],
  ["=", sets(0n, 0n, 0n), "="],
  ["", sets(0n, 0n, 0n), "="],
  ["=ep", sets(ALL, ALL, 0n), "=ep"],
  ["=eip", sets(ALL, ALL, ALL), "=eip"],
  ["=ep cap_setpcap-p", sets(ALL, ALL & ~SETPCAP, 0n), "=ep cap_setpcap-p"],
  ["cap_kill=ep-e", sets(0n, KILL, 0n), "cap_kill=p"],
  ["cap_kill=ep+i-p", sets(KILL, 0n, KILL), "cap_kill=ei"],
  [
    "cap_chown,cap_kill=ep cap_setuid+i",
    sets(CHOWN | KILL, CHOWN | KILL, SETUID),
    "cap_setuid=i cap_chown,cap_kill+ep",
  ],
  ["all=ep cap_kill=", sets(ALL & ~KILL, ALL & ~KILL, 0n), "=ep cap_kill-ep"],
  ["all=i cap_kill+p", sets(0n, KILL, ALL), "=i cap_kill+p"],
  ["all=e cap_kill+i-e", sets(ALL & ~KILL, 0n, KILL), "=e cap_kill+i-e"],
  [
    "cap_kill+p cap_chown+p cap_setuid+p cap_sys_admin+p all+e",
    sets(ALL, CHOWN | KILL | SETUID | SYS_ADMIN, 0n),
    "=e cap_chown,cap_kill,cap_setuid,cap_sys_admin+p",
  ],
  ["ALL+e", sets(ALL, 0n, 0n), "=e"],
  ["all,cap_kill+e", sets(ALL, 0n, 0n), "=e"],
  ["CAP_KILL=e", sets(KILL, 0n, 0n), "cap_kill=e"],
  ["sys_admin,KILL+p", sets(0n, KILL | SYS_ADMIN, 0n), "cap_kill,cap_sys_admin=p"],
  ["40+e cap_0+i", sets(bit(40), 0n, CHOWN), "cap_chown=i cap_checkpoint_restore+e"],
  ["cap_kill+epe", sets(KILL, KILL, 0n), "cap_kill=ep"],
  ["cap_kill=+e", sets(KILL, 0n, 0n), "cap_kill=e"],
  ["cap_kill+e-e", sets(0n, 0n, 0n), "="],
  ["=e =p", sets(0n, ALL, 0n), "=p"],
  ["  cap_kill+e\tcap_chown+p\n", sets(KILL, CHOWN, 0n), "cap_chown=p cap_kill+e"],
];

const thrown = (fn: () => unknown): CapsError => expectThrown(CapsError, fn);

describe("parseCapText and capToText", () => {
  it.each(EXAMPLES)("%j", (text, expected, printed) => {
    expect(parseCapText(text, LAST)).toEqual(expected);
    expect(capToText(expected, LAST)).toBe(printed);
    expect(parseCapText(printed, LAST)).toEqual(expected);
  });

  it("uses the running kernel's last capability by default", () => {
    expect(parseCapText("=p").permitted).toBe(allMask());
    expect(capToText(parseCapText("=ep cap_chown-e"))).toBe("=ep cap_chown-e");
  });

  it("prints capabilities newer than the name table as cap_N", () => {
    const state = sets(bit(41) | KILL, 0n, 0n);
    expect(capToText(state, 41)).toBe("cap_kill,cap_41=e");
    expect(parseCapText("cap_kill,cap_41=e", 41)).toEqual(state);
  });
});

describe("parseCapText errors", () => {
  it.each([
    ["cap_kill", "cap_kill", "no operator"],
    ["cap_kill +e", "cap_kill", "no operator"],
    ["cap_kill+", "cap_kill+", `"+" needs flags`],
    ["cap_kill-", "cap_kill-", `"-" needs flags`],
    ["cap_kill=e=p", "cap_kill=e=p", `"=" may only be the first operator`],
    ["cap_kill=x", "cap_kill=x", `unknown flag "x"`],
    ["cap_kill+E", "cap_kill+E", `unknown flag "E"`],
    ["cap_kill+e,", "cap_kill+e,", `unknown flag ","`],
    ["cap_kill,+e", "cap_kill,+e", "empty name"],
    [",cap_kill+e", ",cap_kill+e", "empty name"],
    ["cap_kill=e,cap_chown=p", "cap_kill=e,cap_chown=p", `unknown flag ","`],
    ["+ep", "+ep", "without a capability list"],
    ["-e", "-e", "without a capability list"],
    ["=e+i", "=e+i", "without a capability list"],
    ["==", "==", "without a capability list"],
    ["cap_chown+e bad", "bad", "no operator"],
  ])("%j is refused", (text, input, problem) => {
    const err = thrown(() => parseCapText(text, LAST));
    expect(err.input).toBe(input);
    expect(err.message).toContain(`bad capability clause "${input}": ${problem}`);
    expect(err.message).toContain(`expected clauses like "cap_chown,cap_kill+ep"`);
    expect(err.message).not.toContain("\n");
  });

  it("refuses unknown capabilities by name", () => {
    const err = thrown(() => parseCapText("cap_chown,cap_bogus+e", LAST));
    expect(err.input).toBe("cap_bogus");
    expect(err.message).toMatch(/^unknown capability "cap_bogus"/);
    expect(() => parseCapText("cap_41+e", LAST)).toThrow(CapsError);
  });
});

describe("capToText errors", () => {
  it("refuses masks with bits beyond the last capability", () => {
    expect(thrown(() => capToText(sets(bit(41), 0n, 0n), LAST)).input).toBe("0x20000000000");
    expect(() => capToText(sets(0n, 0n, -1n), LAST)).toThrow(CapsError);
  });
});

// Deterministic pseudo-random numbers (mulberry32), so failures reproduce.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Densities from empty to full, so every base clause (=, =e, =eip, ...) occurs.
const DENSITIES = [0, 0.03, 0.5, 0.97, 1];

function randomMask(next: () => number, last: number): bigint {
  const density = DENSITIES[Math.floor(next() * DENSITIES.length)];
  let mask = 0n;
  for (let n = 0; n <= last; n++) if (next() < density) mask |= bit(n);
  return mask;
}

describe("randomised round trip", () => {
  it.each([40, 63, 3])("parseCapText(capToText(x)) equals x with last=%i", (last) => {
    const next = prng(0x5eed + last);
    const bases = new Set<string>();
    for (let round = 0; round < 1000; round++) {
      const state = sets(randomMask(next, last), randomMask(next, last), randomMask(next, last));
      const text = capToText(state, last);
      expect(parseCapText(text, last)).toEqual(state);
      expect(capToText(parseCapText(text, last), last)).toBe(text);
      bases.add(text.split(" ")[0].replace(/^[^=]+/, ""));
    }
    expect(bases.size).toBeGreaterThan(6);
  });
});
