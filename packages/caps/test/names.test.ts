import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CAP_NAMES, CapsError, allMask, capName, capNumber, lastCap, maskOf, namesOf } from "../src/index";
import { expectThrown } from "../../../test/support/expect-thrown";

const LAST = 40;

const thrown = (fn: () => unknown): CapsError => expectThrown(CapsError, fn);

describe("CAP_NAMES", () => {
  it("lists the 41 capabilities by number", () => {
    expect(CAP_NAMES).toHaveLength(41);
    expect(CAP_NAMES[0]).toBe("cap_chown");
    expect(CAP_NAMES[8]).toBe("cap_setpcap");
    expect(CAP_NAMES[21]).toBe("cap_sys_admin");
    expect(CAP_NAMES[31]).toBe("cap_setfcap");
    expect(CAP_NAMES[40]).toBe("cap_checkpoint_restore");
    expect(new Set(CAP_NAMES).size).toBe(CAP_NAMES.length);
    for (const name of CAP_NAMES) expect(name).toMatch(/^cap_[a-z_]+$/);
  });

  it("cannot be modified", () => {
    expect(Object.isFrozen(CAP_NAMES)).toBe(true);
  });
});

describe("lastCap", () => {
  it("reports the kernel's cap_last_cap, or the table's last entry without procfs", () => {
    const file = "/proc/sys/kernel/cap_last_cap";
    const expected = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : CAP_NAMES.length - 1;
    expect(lastCap()).toBe(expected);
    expect(lastCap()).toBe(expected);
  });
});

describe("capName", () => {
  it("names known numbers and spells newer ones as cap_N", () => {
    expect(capName(5)).toBe("cap_kill");
    expect(capName(41)).toBe("cap_41");
  });
});

describe("capNumber", () => {
  it.each([
    ["CAP_CHOWN", 0],
    ["cap_chown", 0],
    ["chown", 0],
    ["Chown", 0],
    ["Cap_Sys_Admin", 21],
    ["SYS_ADMIN", 21],
    ["cap_checkpoint_restore", 40],
    ["cap_40", 40],
    ["CAP_5", 5],
    ["40", 40],
    ["0", 0],
  ])("%s is %i", (name, n) => {
    expect(capNumber(name, LAST)).toBe(n);
  });

  it("uses the running kernel's last capability by default", () => {
    expect(capNumber("cap_chown")).toBe(0);
    expect(capNumber(`cap_${lastCap()}`)).toBe(lastCap());
    expect(() => capNumber(`cap_${lastCap() + 1}`)).toThrow(CapsError);
  });

  it("names round-trip through numbers", () => {
    CAP_NAMES.forEach((name, n) => {
      expect(capNumber(name, LAST)).toBe(n);
      expect(capNumber(name.toUpperCase(), LAST)).toBe(n);
      expect(capName(capNumber(name.slice(4), LAST))).toBe(name);
    });
  });

  it("refuses unknown names with a one-line message saying what is known", () => {
    const err = thrown(() => capNumber("cap_foo", LAST));
    expect(err.message).toBe(
      `unknown capability "cap_foo" (see 'man 7 capabilities'; this kernel knows cap_chown..cap_checkpoint_restore)`,
    );
    expect(err.input).toBe("cap_foo");
    expect(err.name).toBe("CapsError");
  });

  it("refuses names the given kernel does not have yet", () => {
    const err = thrown(() => capNumber("cap_bpf", 38));
    expect(err.message).toBe(
      `unknown capability "cap_bpf" (see 'man 7 capabilities'; this kernel knows cap_chown..cap_perfmon)`,
    );
    expect(capNumber("cap_perfmon", 38)).toBe(38);
  });

  it("refuses numbers above the last capability", () => {
    const err = thrown(() => capNumber("cap_41", LAST));
    expect(err.message).toBe(
      `capability number 41 in "cap_41" is above this kernel's last capability 40 (cap_checkpoint_restore)`,
    );
    expect(err.input).toBe("cap_41");
    expect(() => capNumber("99999999999999999999", LAST)).toThrow(CapsError);
    expect(capNumber("cap_63", 63)).toBe(63);
  });

  it.each(["", "cap_", " cap_chown", "cap_chown ", "cap_cap_chown", "cap_-1", "cap_1.5", "all", "cap-chown"])(
    "refuses %j",
    (name) => {
      expect(thrown(() => capNumber(name, LAST)).input).toBe(name);
    },
  );
});

describe("masks", () => {
  it("allMask covers 0..last", () => {
    expect(allMask(LAST)).toBe(0x1ffffffffffn);
    expect(allMask(63)).toBe(0xffffffffffffffffn);
    expect(allMask(0)).toBe(1n);
    expect(allMask()).toBe((1n << BigInt(lastCap() + 1)) - 1n);
  });

  it("maskOf sets one bit per capability, in any spelling", () => {
    expect(maskOf([], LAST)).toBe(0n);
    expect(maskOf(["CAP_CHOWN", "kill"], LAST)).toBe(0x21n);
    expect(maskOf(["cap_kill", "KILL", "cap_5"], LAST)).toBe(0x20n);
    expect(maskOf(["cap_sys_admin", "cap_checkpoint_restore"], LAST)).toBe((1n << 21n) | (1n << 40n));
    expect(() => maskOf(["cap_chown", "cap_nope"], LAST)).toThrow(CapsError);
  });

  it("namesOf lists canonical names in number order", () => {
    expect(namesOf(0n, LAST)).toEqual([]);
    expect(namesOf(0x21n, LAST)).toEqual(["cap_chown", "cap_kill"]);
    expect(namesOf(allMask(LAST), LAST)).toEqual(CAP_NAMES);
    expect(namesOf((1n << 45n) | 1n, 63)).toEqual(["cap_chown", "cap_45"]);
  });

  it("namesOf refuses bits the kernel does not have", () => {
    const err = thrown(() => namesOf(1n << 41n, LAST));
    expect(err.message).toBe(
      "capability mask 0x20000000000 has bits outside 0..40 (cap_chown..cap_checkpoint_restore)",
    );
    expect(err.input).toBe("0x20000000000");
    expect(thrown(() => namesOf(-1n, LAST)).input).toBe("-0x1");
  });

  it("maskOf and namesOf are inverses", () => {
    for (const mask of [0n, 1n, 0xa80425fbn, allMask(LAST), 1n << 40n]) {
      expect(maskOf(namesOf(mask, LAST), LAST)).toBe(mask);
    }
  });
});
