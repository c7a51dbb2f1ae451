import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AARCH64,
  OTHER_ARCH_SYSCALLS,
  SYSCALLS_AARCH64,
  SYSCALLS_X86_64,
  SeccompError,
  X86_64,
  hostArch,
  isKnownSyscall,
  syscallNumber,
} from "../src/index";

describe("syscall tables", () => {
  it("has the x86_64 numbers", () => {
    expect(SYSCALLS_X86_64.read).toBe(0);
    expect(SYSCALLS_X86_64.write).toBe(1);
    expect(SYSCALLS_X86_64.ioctl).toBe(16);
    expect(SYSCALLS_X86_64.clone).toBe(56);
    expect(SYSCALLS_X86_64.execve).toBe(59);
    expect(SYSCALLS_X86_64.ptrace).toBe(101);
    expect(SYSCALLS_X86_64.keyctl).toBe(250);
    expect(SYSCALLS_X86_64.openat).toBe(257);
    expect(SYSCALLS_X86_64.bpf).toBe(321);
    expect(SYSCALLS_X86_64.clone3).toBe(435);
    expect(SYSCALLS_X86_64._sysctl).toBe(156);
  });

  it("has the aarch64 numbers (the generic table)", () => {
    expect(SYSCALLS_AARCH64.ioctl).toBe(29);
    expect(SYSCALLS_AARCH64.openat).toBe(56);
    expect(SYSCALLS_AARCH64.read).toBe(63);
    expect(SYSCALLS_AARCH64.write).toBe(64);
    expect(SYSCALLS_AARCH64.fcntl).toBe(25);
    expect(SYSCALLS_AARCH64.renameat).toBe(38);
    expect(SYSCALLS_AARCH64.newfstatat).toBe(79);
    expect(SYSCALLS_AARCH64.fstat).toBe(80);
    expect(SYSCALLS_AARCH64.getrlimit).toBe(163);
    expect(SYSCALLS_AARCH64.keyctl).toBe(219);
    expect(SYSCALLS_AARCH64.clone).toBe(220);
    expect(SYSCALLS_AARCH64.mmap).toBe(222);
    expect(SYSCALLS_AARCH64.bpf).toBe(280);
    expect(SYSCALLS_AARCH64.clone3).toBe(435);
    expect(SYSCALLS_AARCH64.memfd_secret).toBe(447);
    // The legacy calls aarch64 never had.
    for (const name of ["open", "stat", "fork", "pipe", "dup2", "iopl", "arch_prctl", "sync_file_range2"]) {
      expect(syscallNumber(name, AARCH64)).toBeUndefined();
    }
  });

  it("adds the calls newer than the installed headers, with the same number on both", () => {
    for (const [name, nr] of [["cachestat", 451], ["fchmodat2", 452], ["mseal", 462], ["listns", 470]] as const) {
      expect(SYSCALLS_X86_64[name]).toBe(nr);
      expect(SYSCALLS_AARCH64[name]).toBe(nr);
    }
  });

  it("gives each number to one name", () => {
    for (const table of [SYSCALLS_X86_64, SYSCALLS_AARCH64]) {
      const numbers = Object.values(table);
      expect(new Set(numbers).size).toBe(numbers.length);
      for (const nr of numbers) expect(nr >= 0 && nr < 0x40000000).toBe(true);
    }
  });

  it("knows names of other architectures without numbering them", () => {
    for (const name of ["socketcall", "_llseek", "chown32", "vm86", "stime", "arm_fadvise64_64", "s390_sthyi"]) {
      expect(OTHER_ARCH_SYSCALLS).toContain(name);
      expect(isKnownSyscall(name)).toBe(true);
      expect(syscallNumber(name, X86_64)).toBeUndefined();
    }
    expect(isKnownSyscall("open")).toBe(true);
    expect(isKnownSyscall("no_such_call")).toBe(false);
    expect(isKnownSyscall("__proto__")).toBe(false);
    expect(isKnownSyscall("toString")).toBe(false);
    expect(syscallNumber("constructor", X86_64)).toBeUndefined();
  });

  it("cannot be modified", () => {
    expect(Object.isFrozen(SYSCALLS_X86_64)).toBe(true);
    expect(Object.isFrozen(SYSCALLS_AARCH64)).toBe(true);
    expect(Object.isFrozen(OTHER_ARCH_SYSCALLS)).toBe(true);
  });

  it("matches what the generator writes from this machine's headers", () => {
    const script = new URL("../scripts/gen-syscalls.mjs", import.meta.url).pathname;
    let headers = true;
    try {
      readFileSync("/usr/include/asm-generic/unistd.h");
      readFileSync("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
    } catch {
      headers = false;
    }
    if (!headers) return; // no kernel headers here: nothing to compare with
    // Throws (exit status 1) when the committed table differs.
    expect(execFileSync(process.execPath, [script, "--check"], { encoding: "utf8" })).toMatch(/is up to date/);
  });
});

describe("hostArch", () => {
  it("maps Node's architecture names", () => {
    expect(hostArch("x64")).toBe(X86_64);
    expect(hostArch("arm64")).toBe(AARCH64);
    expect(X86_64.auditArch).toBe(0xc000003e);
    expect(AARCH64.auditArch).toBe(0xc00000b7);
  });

  it("refuses the others with one line", () => {
    expect(() => hostArch("riscv64")).toThrow(SeccompError);
    expect(() => hostArch("ia32")).toThrow(
      "seccomp filters are not supported on this architecture (ia32; minictl knows x64 and arm64): use --seccomp unconfined",
    );
  });
});
