import { describe, expect, it } from "vitest";
import {
  AARCH64,
  DEFAULT_DENY_SYSCALLS,
  X86_64,
  compile,
  defaultProfile,
  isKnownSyscall,
  syscallNumber,
  type SeccompArch,
} from "../src/index";
import { run, show } from "./bpf-interpreter";

const call = (program: Buffer, arch: SeccompArch, name: string, args: bigint[] = []) => {
  const nr = syscallNumber(name, arch);
  if (nr === undefined) throw new Error(`${name} has no number on ${arch.name}`);
  return show(run(program, { nr, arch: arch.auditArch, args }));
};

describe.each([X86_64, AARCH64])("the default filter on $name", (arch) => {
  const program = compile(defaultProfile(), arch);

  it("is small", () => {
    expect(program.length % 8).toBe(0);
    expect(program.length / 8).toBeLessThan(120);
  });

  it("answers every call of the deny list with EPERM", () => {
    let present = 0;
    for (const name of DEFAULT_DENY_SYSCALLS) {
      if (syscallNumber(name, arch) === undefined) continue;
      present++;
      expect([name, call(program, arch, name)]).toEqual([name, "ERRNO(1)"]);
    }
    expect(present).toBeGreaterThan(arch === X86_64 ? 30 : 20);
  });

  it("allows everything else", () => {
    const denied = new Set(DEFAULT_DENY_SYSCALLS);
    for (const [name, nr] of Object.entries(arch.syscalls)) {
      if (denied.has(name) || name === "ioctl") continue;
      expect([name, show(run(program, { nr, arch: arch.auditArch }))]).toEqual([name, "ALLOW"]);
    }
    for (const name of ["read", "write", "openat", "clone", "clone3", "execve", "ptrace", "name_to_handle_at", "mount_setattr", "personality", "kcmp"]) {
      expect(call(program, arch, name)).toBe("ALLOW");
    }
  });

  it("refuses TIOCSTI and TIOCLINUX whatever the high half of the argument holds", () => {
    for (const request of [0x5412n, 0x541cn, 0x100005412n, 0xffffffff00005412n, 0x80000000_0000541cn]) {
      expect([request, call(program, arch, "ioctl", [1n, request])]).toEqual([request, "ERRNO(1)"]);
    }
  });

  it("allows other ioctls", () => {
    const TCGETS = 0x5401n;
    const TIOCGWINSZ = 0x5413n;
    const FIONREAD = 0x541bn;
    for (const request of [TCGETS, TIOCGWINSZ, FIONREAD, 0n, 0x5411n, 0x5412n << 32n, 0x15412n, 0x541c0000n, 0xffffffffn]) {
      expect([request, call(program, arch, "ioctl", [1n, request])]).toEqual([request, "ALLOW"]);
    }
    // The request is argument 1: TIOCSTI as the fd or the pointer changes nothing.
    expect(call(program, arch, "ioctl", [0x5412n, TCGETS, 0x5412n])).toBe("ALLOW");
  });

  it("kills calls from another architecture", () => {
    const other = arch === X86_64 ? AARCH64 : X86_64;
    expect(show(run(program, { nr: 0, arch: other.auditArch }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: 0, arch: 0x40000003 /* AUDIT_ARCH_I386 */ }))).toBe("KILL_PROCESS");
  });
});

describe("the default profile", () => {
  it("names only known calls, each once", () => {
    for (const name of DEFAULT_DENY_SYSCALLS) expect([name, isKnownSyscall(name)]).toEqual([name, true]);
    expect(new Set(DEFAULT_DENY_SYSCALLS).size).toBe(DEFAULT_DENY_SYSCALLS.length);
  });

  it("leaves out what the engines allow today", () => {
    for (const name of ["ptrace", "name_to_handle_at", "mount_setattr", "personality", "fanotify_init", "kcmp"]) {
      expect(DEFAULT_DENY_SYSCALLS).not.toContain(name);
    }
  });

  it("is one shared object that nobody can change", () => {
    const a = defaultProfile();
    expect(defaultProfile()).toBe(a);
    expect(() => {
      a.syscalls.length = 0;
    }).toThrow(TypeError);
    expect(() => {
      (a.syscalls[0].names as string[]).push("getpid");
    }).toThrow(TypeError);
    expect(defaultProfile().syscalls).toHaveLength(3);
  });

  it("refuses x32 calls on x86_64 by killing (its default action is ALLOW)", () => {
    const program = compile(defaultProfile(), X86_64);
    expect(show(run(program, { nr: 0x40000000, arch: X86_64.auditArch }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: 0x40000000 + 250, arch: X86_64.auditArch }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: -1, arch: X86_64.auditArch }))).toBe("ALLOW");
  });
});
