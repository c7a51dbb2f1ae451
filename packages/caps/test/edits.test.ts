import { describe, expect, it } from "vitest";
import { CapsError, allMask, applySetEdit, type CapSets } from "../src/index";
import { expectThrown } from "../../../test/support/expect-thrown";

const LAST = 40;
const ALL = allMask(LAST);
const KILL = 1n << 5n;
const SYS_ADMIN = 1n << 21n;

const EMPTY: CapSets = Object.freeze({ permitted: 0n, effective: 0n, inheritable: 0n, bounding: 0n, ambient: 0n });
const FULL: CapSets = Object.freeze({ permitted: ALL, effective: ALL, inheritable: ALL, bounding: ALL, ambient: ALL });

const thrown = (fn: () => unknown): CapsError => expectThrown(CapsError, fn);

describe("applySetEdit", () => {
  it.each([
    ["p+cap_kill", "permitted"],
    ["e+CAP_KILL", "effective"],
    ["i+kill", "inheritable"],
    ["a+cap_5", "ambient"],
  ] as const)("%s raises one capability in %s", (edit, key) => {
    expect(applySetEdit(EMPTY, edit, LAST)).toEqual({ ...EMPTY, [key]: KILL });
  });

  it.each([
    ["p-cap_sys_admin", "permitted"],
    ["e-sys_admin", "effective"],
    ["i-SYS_ADMIN", "inheritable"],
    ["b-cap_sys_admin", "bounding"],
    ["a-cap_21", "ambient"],
  ] as const)("%s lowers one capability in %s", (edit, key) => {
    expect(applySetEdit(FULL, edit, LAST)).toEqual({ ...FULL, [key]: ALL & ~SYS_ADMIN });
  });

  it("accepts all", () => {
    expect(applySetEdit(EMPTY, "e+all", LAST)).toEqual({ ...EMPTY, effective: ALL });
    expect(applySetEdit(FULL, "b-ALL", LAST)).toEqual({ ...FULL, bounding: 0n });
    expect(applySetEdit(FULL, "p-all", LAST)).toEqual({ ...FULL, permitted: 0n });
  });

  it("is idempotent and leaves its input alone", () => {
    const once = applySetEdit(EMPTY, "p+cap_kill", LAST);
    expect(applySetEdit(once, "p+cap_kill", LAST)).toEqual(once);
    expect(once).not.toBe(EMPTY);
    expect(EMPTY.permitted).toBe(0n);
    expect(applySetEdit(EMPTY, "p-cap_kill", LAST)).toEqual(EMPTY);
  });

  it("does not enforce kernel rules between sets", () => {
    expect(applySetEdit(EMPTY, "a+cap_kill", LAST).ambient).toBe(KILL);
  });

  it("uses the running kernel's last capability by default", () => {
    expect(applySetEdit(EMPTY, "p+all").permitted).toBe(allMask());
  });

  it.each(["b+cap_x", "b+cap_kill", "b+all"])("refuses %s: the bounding set only shrinks", (edit) => {
    const err = thrown(() => applySetEdit(FULL, edit, LAST));
    expect(err.message).toMatch(/^cannot add to the bounding set/);
    expect(err.input).toBe(edit);
  });

  it.each(["p*cap_kill", "q+cap_kill", "p+", "", "P+cap_kill", "p+cap_kill,cap_chown", " p+cap_kill", "p+cap kill", "pe+cap_kill", "+cap_kill", "p"])(
    "refuses %j as badly formed",
    (edit) => {
      const err = thrown(() => applySetEdit(EMPTY, edit, LAST));
      expect(err.message).toMatch(/^Badly formed capability edit/);
      expect(err.message).toContain(`"p+cap_kill"`);
      expect(err.message).not.toContain("\n");
      expect(err.input).toBe(edit);
    },
  );

  it("refuses unknown capabilities", () => {
    const err = thrown(() => applySetEdit(EMPTY, "p+cap_foo", LAST));
    expect(err.message).toMatch(/^unknown capability "cap_foo"/);
    expect(() => applySetEdit(EMPTY, "p+cap_41", LAST)).toThrow(CapsError);
  });
});
