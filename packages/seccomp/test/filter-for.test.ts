import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AARCH64, SeccompError, X86_64, compile, defaultProfile, filterFor, hostArch, parseProfile, syscallNumber, type SeccompArch } from "../src/index";
import { run, show } from "./bpf-interpreter";
import { expectThrown } from "../../../test/support/expect-thrown";

const dir = mkdtempSync(join(tmpdir(), "minictl-seccomp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const thrown = (fn: () => unknown): SeccompError => expectThrown(SeccompError, fn);

const supported = process.arch === "x64" || process.arch === "arm64";

/**
 * A small profile in Docker's format, written for these tests: deny by
 * default (EPERM), an allow list, arch-, capability- and kernel-gated
 * entries, a masked clone rule, and names of other architectures.
 */
const DOCKER_STYLE = JSON.stringify(
  {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: 1,
    archMap: [
      { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
      { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
    ],
    syscalls: [
      {
        names: ["read", "write", "close", "exit_group", "openat", "fstat", "newfstatat", "_llseek", "socketcall", "waitpid"],
        action: "SCMP_ACT_ALLOW",
        includes: {},
        excludes: {},
      },
      { names: ["arch_prctl", "modify_ldt"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64", "x32", "x86"] } },
      { names: ["set_tls", "cacheflush"], action: "SCMP_ACT_ALLOW", includes: { arches: ["arm", "arm64"] } },
      { names: ["mount", "umount2"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        excludes: { caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"] },
        comment: "clone without namespace flags",
      },
      { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: { caps: ["CAP_SYS_ADMIN"] } },
      { names: ["pidfd_getfd"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "5.6" } },
    ],
  },
  null,
  2,
);

describe("filterFor", () => {
  it("gives no filter for unconfined", () => {
    expect(filterFor("unconfined")).toBeUndefined();
  });

  it.runIf(supported)("compiles the default profile for the host", () => {
    const program = filterFor("default") as Buffer;
    expect(program.equals(compile(defaultProfile(), hostArch()))).toBe(true);
  });

  it("reads, parses and compiles a profile file", () => {
    const path = file("small.json", '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":30}]}');
    for (const arch of [X86_64, AARCH64]) {
      const program = filterFor(path, { arch }) as Buffer;
      expect(show(run(program, { nr: syscallNumber("mkdirat", arch) as number, arch: arch.auditArch }))).toBe("ERRNO(30)");
      expect(show(run(program, { nr: syscallNumber("openat", arch) as number, arch: arch.auditArch }))).toBe("ALLOW");
    }
  });

  it("says which file could not be read or parsed, in one line", () => {
    const missing = join(dir, "missing.json");
    expect(thrown(() => filterFor(missing, { arch: X86_64 })).message).toBe(`cannot read seccomp profile ${missing}: ENOENT`);
    expect(thrown(() => filterFor(dir, { arch: X86_64 })).message).toBe(`cannot read seccomp profile ${dir}: EISDIR`);
    const broken = file("broken.json", '{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [\n  {"names": ["read"] "action": "SCMP_ACT_LOG"}\n ]\n}\n');
    expect(thrown(() => filterFor(broken, { arch: X86_64 })).message).toBe(
      `${broken}: not valid JSON: expected "," or "}", found """ at line 3 column 22`,
    );
    const unknown = file("unknown.json", '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["frobnicate"], "action": "SCMP_ACT_ERRNO"}]}');
    const err = thrown(() => filterFor(unknown, { arch: X86_64 }));
    expect(err.message).toBe(`${unknown}: unknown syscall "frobnicate" in syscalls[0].names`);
    expect(err.source).toBe(unknown);
    const action = file("action.json", '{"defaultAction": "SCMP_ACT_REJECT"}');
    expect(thrown(() => filterFor(action, { arch: X86_64 })).message).toMatch(
      new RegExp(`^${action.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: unknown action "SCMP_ACT_REJECT" in defaultAction \\(expected one of `),
    );
  });

  it("names the file when the profile is too long to compile", () => {
    const rules = Array.from({ length: 1000 }, (_, i) => ({ names: ["ioctl"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: i, op: "SCMP_CMP_EQ" }] }));
    const big = file("big.json", JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: rules }));
    expect(thrown(() => filterFor(big, { arch: X86_64 })).message).toMatch(new RegExp(`^${big.replace(/[.]/g, "\\.")}: the seccomp filter would have \\d+ instructions`));
  });
});

describe.each([X86_64, AARCH64])("a Docker-style profile on $name", (arch: SeccompArch) => {
  const path = file(`docker-${arch.name}.json`, DOCKER_STYLE);
  const call = (program: Buffer, name: string, args: bigint[] = []) =>
    show(run(program, { nr: syscallNumber(name, arch) as number, arch: arch.auditArch, args }));

  it("without capabilities: gated entries skipped, the rest applied", () => {
    const profile = parseProfile(DOCKER_STYLE, path, { arch, kernelRelease: "6.1.0" });
    expect(profile.syscalls.map((r) => r.names[0])).toEqual(
      arch === X86_64 ? ["read", "arch_prctl", "pidfd_getfd"] : ["read", "set_tls", "pidfd_getfd"],
    );
    const program = filterFor(path, { arch, kernelRelease: "6.1.0" }) as Buffer;
    for (const name of ["read", "write", "close", "exit_group", "openat", "newfstatat", "pidfd_getfd"]) expect(call(program, name)).toBe("ALLOW");
    expect(call(program, "mount")).toBe("ERRNO(1)");
    expect(call(program, "clone", [0x11n])).toBe("ERRNO(1)"); // the clone entry depends on capabilities: skipped
    if (arch === X86_64) expect(call(program, "arch_prctl")).toBe("ALLOW");
    expect(call(program, "ptrace")).toBe("ERRNO(1)");
  });

  it("with the capabilities given: gated entries evaluated", () => {
    const program = filterFor(path, { arch, kernelRelease: "6.1.0", caps: ["CAP_CHOWN", "CAP_KILL"] }) as Buffer;
    const CLONE_NEWUSER = 0x10000000n;
    const SIGCHLD = 17n;
    expect(call(program, "clone", [SIGCHLD])).toBe("ALLOW");
    expect(call(program, "clone", [SIGCHLD | CLONE_NEWUSER])).toBe("ERRNO(1)");
    expect(call(program, "clone3")).toBe("ERRNO(38)");
    expect(call(program, "mount")).toBe("ERRNO(1)");
    const admin = filterFor(path, { arch, kernelRelease: "6.1.0", caps: ["CAP_SYS_ADMIN"] }) as Buffer;
    expect(call(admin, "mount")).toBe("ALLOW");
    expect(call(admin, "umount2")).toBe("ALLOW");
    expect(call(admin, "clone", [SIGCHLD | CLONE_NEWUSER])).toBe("ERRNO(1)"); // no unconditional clone rule in this profile
    expect(call(admin, "clone3")).toBe("ERRNO(1)");
  });

  it("evaluates the kernel version", () => {
    const old = filterFor(path, { arch, kernelRelease: "5.4.0" }) as Buffer;
    expect(call(old, "pidfd_getfd")).toBe("ERRNO(1)");
  });
});
