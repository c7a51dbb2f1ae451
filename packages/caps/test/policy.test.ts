import { describe, expect, it } from "vitest";
import { CapsError, DEFAULT_CAPS, allMask, maskOf, resolveRunPolicy } from "../src/index";

const LAST = 40;
const ALL = allMask(LAST);
const DEFAULT = 0xa80425fbn;
const SYS_ADMIN = 1n << 21n;
const NET_RAW = 1n << 13n;

const root = (caps: bigint) => ({ permitted: caps, effective: caps, inheritable: 0n, bounding: caps, ambient: 0n });
const nonRoot = (caps: bigint) => ({ permitted: 0n, effective: 0n, inheritable: 0n, bounding: caps, ambient: 0n });

describe("DEFAULT_CAPS", () => {
  it("is the Docker/Podman default set", () => {
    expect(DEFAULT_CAPS).toHaveLength(14);
    expect(maskOf(DEFAULT_CAPS, LAST)).toBe(DEFAULT);
    expect(Object.isFrozen(DEFAULT_CAPS)).toBe(true);
  });
});

describe("resolveRunPolicy", () => {
  it("gives root the default set, with empty inheritable and ambient sets", () => {
    expect(resolveRunPolicy({ rootUser: true, last: LAST })).toEqual(root(DEFAULT));
    expect(resolveRunPolicy({ rootUser: true, capAdd: [], capDrop: [], last: LAST })).toEqual(root(DEFAULT));
  });

  it("uses the running kernel's last capability by default", () => {
    expect(resolveRunPolicy({ rootUser: true })).toEqual(root(DEFAULT));
    expect(resolveRunPolicy({ rootUser: true, capAdd: ["ALL"] }).bounding).toBe(allMask());
  });

  it("--cap-drop ALL leaves nothing", () => {
    expect(resolveRunPolicy({ rootUser: true, capDrop: ["ALL"], last: LAST })).toEqual(root(0n));
  });

  it("--cap-drop ALL --cap-add X leaves only X", () => {
    expect(
      resolveRunPolicy({ rootUser: true, capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], last: LAST }),
    ).toEqual(root(0x400n));
  });

  it("--cap-add SYS_ADMIN adds to the defaults", () => {
    expect(resolveRunPolicy({ rootUser: true, capAdd: ["SYS_ADMIN"], last: LAST })).toEqual(root(0xa82425fbn));
    expect(resolveRunPolicy({ rootUser: true, capAdd: ["cap_sys_admin"], last: LAST }).bounding).toBe(
      DEFAULT | SYS_ADMIN,
    );
  });

  it("--cap-drop removes from the defaults", () => {
    expect(resolveRunPolicy({ rootUser: true, capDrop: ["CAP_NET_RAW", "mknod"], last: LAST })).toEqual(
      root(0xa00405fbn),
    );
  });

  it("a capability both dropped and added stays, as in Docker", () => {
    expect(resolveRunPolicy({ rootUser: true, capDrop: ["KILL"], capAdd: ["KILL"], last: LAST })).toEqual(
      root(DEFAULT),
    );
  });

  it("--cap-add ALL gives everything but the dropped ones", () => {
    expect(resolveRunPolicy({ rootUser: true, capAdd: ["ALL"], last: LAST })).toEqual(root(ALL));
    expect(resolveRunPolicy({ rootUser: true, capAdd: ["all"], capDrop: ["NET_RAW"], last: LAST })).toEqual(
      root(ALL & ~NET_RAW),
    );
    expect(resolveRunPolicy({ rootUser: true, capAdd: ["ALL"], capDrop: ["ALL"], last: LAST })).toEqual(root(ALL));
  });

  it("a non-root user keeps only the bounding set", () => {
    expect(resolveRunPolicy({ rootUser: false, last: LAST })).toEqual(nonRoot(DEFAULT));
    expect(resolveRunPolicy({ rootUser: false, capAdd: ["SYS_ADMIN"], last: LAST })).toEqual(
      nonRoot(DEFAULT | SYS_ADMIN),
    );
    expect(resolveRunPolicy({ rootUser: false, capDrop: ["ALL"], last: LAST })).toEqual(nonRoot(0n));
  });

  it("refuses unknown capabilities in either list", () => {
    expect(() => resolveRunPolicy({ rootUser: true, capAdd: ["CAP_BOGUS"], last: LAST })).toThrow(CapsError);
    expect(() => resolveRunPolicy({ rootUser: true, capDrop: ["bogus"], last: LAST })).toThrow(
      /^unknown capability "bogus"/,
    );
  });
});
