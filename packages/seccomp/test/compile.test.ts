import { describe, expect, it } from "vitest";
import {
  AARCH64,
  BPF_MAXINSNS,
  SeccompError,
  X86_64,
  compile,
  disassemble,
  parseProfile,
  syscallNumber,
  type SeccompArg,
  type SeccompOperator,
  type SeccompProfile,
} from "../src/index";
import { decode, run, show, verify } from "./bpf-interpreter";
import { expectThrown } from "../../../test/support/expect-thrown";

const NR = (name: string) => syscallNumber(name, X86_64) as number;
const ARCH = X86_64.auditArch;

const thrown = (fn: () => unknown): SeccompError => expectThrown(SeccompError, fn);

const BOUNDARY: bigint[] = [
  0n,
  1n,
  0x7fffffffn,
  0x80000000n,
  0xfffffffen,
  0xffffffffn,
  0x100000000n,
  0x100000001n,
  0x1fffffffen,
  0x1ffffffffn,
  0x200000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xfffffffeffffffffn,
  0xffffffff00000000n,
  0xffffffff00000001n,
  0xfffffffffffffffen,
  0xffffffffffffffffn,
];

const reference: Record<SeccompOperator, (arg: bigint, value: bigint, valueTwo: bigint) => boolean> = {
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_MASKED_EQ: (a, m, d) => (a & m) === d,
};

const oneRule = (arg: SeccompArg): SeccompProfile => ({
  defaultAction: "SCMP_ACT_ALLOW",
  syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet: 77, args: [arg] }],
});

describe("compile: structure", () => {
  it("produces a program the kernel's checks accept, and checks the architecture first", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }, X86_64);
    verify(program);
    const insns = decode(program);
    expect(insns[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 4 }); // A = arch
    expect(insns[1]).toEqual({ code: 0x15, jt: 1, jf: 0, k: 0xc000003e });
    expect(insns[2]).toEqual({ code: 0x06, jt: 0, jf: 0, k: 0x80000000 }); // KILL_PROCESS
    expect(insns[3]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 0 }); // A = nr
    expect(disassemble(program)).toEqual([
      "0000: A = data[4]",
      "0001: if (A == 0xc000003e) goto 3 else goto 2",
      "0002: return KILL_PROCESS",
      "0003: A = data[0]",
      "0004: if (A >= 0x40000000) goto 5 else goto 7",
      "0005: if (A == 0xffffffff) goto 7 else goto 6",
      "0006: return KILL_PROCESS",
      "0007: return ALLOW",
    ]);
  });

  it("writes the little-endian struct sock_filter layout", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }, AARCH64);
    expect(program.subarray(0, 16).toString("hex")).toBe("2000000004000000" + "15000100b70000c0");
    expect(program.length).toBe(5 * 8); // aarch64 has no x32 check
  });

  it("takes the architecture by name and defaults to the host's", () => {
    const p: SeccompProfile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_KILL", args: [] }] };
    expect(compile(p, "aarch64").equals(compile(p, AARCH64))).toBe(true);
    if (process.arch === "x64") expect(compile(p).equals(compile(p, X86_64))).toBe(true);
  });

  it("kills calls of other architectures, and x32 calls under an ALLOW default", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [] }, X86_64);
    expect(show(run(program, { nr: 0, arch: AARCH64.auditArch }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: 3, arch: 0x40000003 }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: 0x40000000 | 1, arch: ARCH }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: 0x7fffffff, arch: ARCH }))).toBe("KILL_PROCESS");
    expect(show(run(program, { nr: 1, arch: ARCH }))).toBe("ALLOW");
  });

  it("answers x32 calls with the default errno when the default is ERRNO", () => {
    const program = compile({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls: [{ names: ["write"], action: "SCMP_ACT_ALLOW", args: [] }] }, X86_64);
    expect(show(run(program, { nr: 0x40000000 | NR("write"), arch: ARCH }))).toBe("ERRNO(38)");
    expect(show(run(program, { nr: NR("write"), arch: ARCH }))).toBe("ALLOW");
    expect(show(run(program, { nr: -1, arch: ARCH }))).toBe("ERRNO(38)");
  });

  it("maps every action", () => {
    const actions = {
      SCMP_ACT_ALLOW: "ALLOW",
      SCMP_ACT_ERRNO: "ERRNO(1)",
      SCMP_ACT_KILL: "KILL_THREAD",
      SCMP_ACT_KILL_THREAD: "KILL_THREAD",
      SCMP_ACT_KILL_PROCESS: "KILL_PROCESS",
      SCMP_ACT_TRAP: "TRAP(0)",
      SCMP_ACT_LOG: "LOG",
    } as const;
    for (const [action, expected] of Object.entries(actions)) {
      const program = compile({ defaultAction: action as keyof typeof actions, syscalls: [{ names: ["read"], action: action as keyof typeof actions, args: [] }] }, X86_64);
      expect(show(run(program, { nr: NR("read"), arch: ARCH }))).toBe(expected);
      expect(show(run(program, { nr: NR("write"), arch: ARCH }))).toBe(expected);
    }
  });

  it("skips names the architecture lacks, refuses names no architecture has", () => {
    const p: SeccompProfile = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["open", "socketcall", "openat"], action: "SCMP_ACT_ERRNO", args: [] }] };
    const arm = compile(p, AARCH64);
    expect(show(run(arm, { nr: syscallNumber("openat", AARCH64) as number, arch: AARCH64.auditArch }))).toBe("ERRNO(1)");
    expect(show(run(arm, { nr: 2, arch: AARCH64.auditArch }))).toBe("ALLOW"); // 2 is io_submit there
    const x86 = compile(p, X86_64);
    expect(show(run(x86, { nr: NR("open"), arch: ARCH }))).toBe("ERRNO(1)");
    expect(thrown(() => compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["opne"], action: "SCMP_ACT_ERRNO", args: [] }] }, X86_64)).message).toBe(
      'unknown syscall "opne"',
    );
  });

  it("refuses bad values given directly", () => {
    const rule = (args: SeccompArg[], errnoRet?: number): SeccompProfile => ({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_ERRNO", errnoRet, args }] });
    expect(thrown(() => compile(rule([{ index: 6, value: 0n, valueTwo: 0n, op: "SCMP_CMP_EQ" }]), X86_64)).message).toBe("argument index 6 is out of range (0 to 5)");
    expect(thrown(() => compile(rule([{ index: 0, value: 1n << 64n, valueTwo: 0n, op: "SCMP_CMP_EQ" }]), X86_64)).message).toBe(
      "argument value 18446744073709551616 is not a 64-bit unsigned integer",
    );
    expect(thrown(() => compile(rule([{ index: 0, value: 0n, valueTwo: 0n, op: "SCMP_CMP_XX" as SeccompOperator }]), X86_64)).message).toBe(
      'unknown operator "SCMP_CMP_XX" (expected one of SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_GT, SCMP_CMP_GE, SCMP_CMP_MASKED_EQ)',
    );
    expect(thrown(() => compile(rule([], 70000), X86_64)).message).toBe("errno 70000 is out of range (0 to 4095)");
  });
});

describe("compile: 64-bit argument comparisons", () => {
  for (const op of Object.keys(reference) as SeccompOperator[]) {
    it(`${op} around the 32-bit boundary`, () => {
      for (const value of BOUNDARY) {
        const valueTwos = op === "SCMP_CMP_MASKED_EQ" ? [0n, value, value & 0xffffffffn, 0x100000000n, 0x5412n] : [0n];
        for (const valueTwo of valueTwos) {
          for (const index of [0, 3, 5]) {
            const program = compile(oneRule({ index, value, valueTwo, op }), X86_64);
            for (const a of BOUNDARY) {
              const args = [0n, 0n, 0n, 0n, 0n, 0n];
              args[index] = a;
              // The other arguments must not matter.
              const noise = args.map((x, i) => (i === index ? x : 0xdeadbeefcafebabn));
              const want = reference[op](a, value, valueTwo) ? "ERRNO(77)" : "ALLOW";
              expect([op, value, valueTwo, a, show(run(program, { nr: NR("read"), arch: ARCH, args }))]).toEqual([op, value, valueTwo, a, want]);
              expect(show(run(program, { nr: NR("read"), arch: ARCH, args: noise }))).toBe(want);
            }
            // The rule is for read only.
            expect(show(run(program, { nr: NR("write"), arch: ARCH, args: [value, value, value, value, value, value] }))).toBe("ALLOW");
          }
        }
      }
    });
  }

  it("ANDs the conditions of one rule", () => {
    const program = compile(
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [
          {
            names: ["socket"],
            action: "SCMP_ACT_ERRNO",
            errnoRet: 97,
            args: [
              { index: 0, value: 16n, valueTwo: 0n, op: "SCMP_CMP_EQ" },
              { index: 2, value: 9n, valueTwo: 0n, op: "SCMP_CMP_EQ" },
            ],
          },
        ],
      },
      X86_64,
    );
    const sock = (a: bigint, c: bigint) => show(run(program, { nr: NR("socket"), arch: ARCH, args: [a, 3n, c] }));
    expect(sock(16n, 9n)).toBe("ERRNO(97)");
    expect(sock(16n, 0n)).toBe("ALLOW");
    expect(sock(2n, 9n)).toBe("ALLOW");
  });

  it("ORs conditions on a repeated argument index, as runc does", () => {
    const program = compile(
      {
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [
          {
            names: ["personality"],
            action: "SCMP_ACT_ALLOW",
            args: [
              { index: 0, value: 0n, valueTwo: 0n, op: "SCMP_CMP_EQ" },
              { index: 0, value: 8n, valueTwo: 0n, op: "SCMP_CMP_EQ" },
              { index: 0, value: 0xffffffffn, valueTwo: 0n, op: "SCMP_CMP_EQ" },
            ],
          },
        ],
      },
      X86_64,
    );
    const pers = (a: bigint) => show(run(program, { nr: NR("personality"), arch: ARCH, args: [a] }));
    expect([pers(0n), pers(8n), pers(0xffffffffn)]).toEqual(["ALLOW", "ALLOW", "ALLOW"]);
    expect([pers(1n), pers(0x1ffffffffn), pers(0x800000000n)]).toEqual(["ERRNO(1)", "ERRNO(1)", "ERRNO(1)"]);
  });

  it("lets the first matching rule of a call decide, in profile order", () => {
    const program = compile(
      {
        defaultAction: "SCMP_ACT_LOG",
        syscalls: [
          { names: ["kill"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, value: 0n, valueTwo: 0n, op: "SCMP_CMP_EQ" }] },
          { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [{ index: 1, value: 9n, valueTwo: 0n, op: "SCMP_CMP_EQ" }] },
          { names: ["kill", "tkill"], action: "SCMP_ACT_ERRNO", errnoRet: 2, args: [] },
          { names: ["kill"], action: "SCMP_ACT_ALLOW", args: [] }, // never reached
        ],
      },
      X86_64,
    );
    const kill = (sig: bigint) => show(run(program, { nr: NR("kill"), arch: ARCH, args: [1n, sig] }));
    expect([kill(0n), kill(9n), kill(15n)]).toEqual(["ALLOW", "ERRNO(1)", "ERRNO(2)"]);
    expect(show(run(program, { nr: NR("tkill"), arch: ARCH }))).toBe("ERRNO(2)");
    expect(show(run(program, { nr: NR("tgkill"), arch: ARCH }))).toBe("LOG");
  });
});

describe("compile: allow lists and long programs", () => {
  it("runs a default-ERRNO profile with an allow list", () => {
    const allowed = ["read", "write", "close", "exit_group", "rt_sigreturn", "brk", "mmap", "openat", "newfstatat", "futex"];
    const p = parseProfile(
      JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls: [{ names: allowed, action: "SCMP_ACT_ALLOW" }] }),
      "allow.json",
    );
    for (const arch of [X86_64, AARCH64]) {
      const program = compile(p, arch);
      for (const [name, nr] of Object.entries(arch.syscalls)) {
        const want = allowed.includes(name) ? "ALLOW" : "ERRNO(38)";
        expect([name, show(run(program, { nr, arch: arch.auditArch }))]).toEqual([name, want]);
      }
      expect(show(run(program, { nr: 999, arch: arch.auditArch }))).toBe("ERRNO(38)");
    }
  });

  it("dispatches correctly with more than 255 rules (long jumps)", () => {
    // 300 calls, each with its own errno and a 64-bit condition: the program
    // is far longer than a conditional jump can reach.
    const names = Object.keys(X86_64.syscalls).slice(0, 300);
    const p: SeccompProfile = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: names.map((name, i) => ({
        names: [name],
        action: "SCMP_ACT_ERRNO",
        errnoRet: i + 1,
        args: [{ index: i % 6, value: BigInt(i) << 32n, valueTwo: 0n, op: "SCMP_CMP_GE" as const }],
      })),
    };
    const program = compile(p, X86_64);
    const insns = verify(program);
    expect(insns.length).toBeGreaterThan(1500);
    expect(insns.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(insns.some((insn) => insn.code === 0x05)).toBe(true); // trampolines were needed
    names.forEach((name, i) => {
      const args = [0n, 0n, 0n, 0n, 0n, 0n];
      args[i % 6] = BigInt(i) << 32n;
      const nr = NR(name);
      expect([name, show(run(program, { nr, arch: ARCH, args }))]).toEqual([name, `ERRNO(${i + 1})`]);
      if (i > 0) {
        args[i % 6] = (BigInt(i) << 32n) - 1n;
        expect([name, show(run(program, { nr, arch: ARCH, args }))]).toEqual([name, "ALLOW"]);
      }
    });
    for (const name of Object.keys(X86_64.syscalls).slice(300)) {
      expect(show(run(program, { nr: NR(name), arch: ARCH, args: [1n << 62n, 1n << 62n, 1n << 62n, 1n << 62n, 1n << 62n, 1n << 62n] }))).toBe("ALLOW");
    }
  });

  it("dispatches correctly when one call's rules alone exceed 255 instructions", () => {
    const p: SeccompProfile = {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [
        ...Array.from({ length: 120 }, (_, i) => ({
          names: ["ioctl"],
          action: "SCMP_ACT_ERRNO" as const,
          errnoRet: i + 100,
          args: [{ index: 1, value: BigInt(0x1000 + i), valueTwo: 0n, op: "SCMP_CMP_EQ" as const }],
        })),
        { names: ["read", "write", "close"], action: "SCMP_ACT_ALLOW", args: [] },
      ],
    };
    const program = compile(p, X86_64);
    verify(program);
    for (let i = 0; i < 120; i += 7) {
      expect(show(run(program, { nr: NR("ioctl"), arch: ARCH, args: [0n, BigInt(0x1000 + i)] }))).toBe(`ERRNO(${i + 100})`);
    }
    expect(show(run(program, { nr: NR("ioctl"), arch: ARCH, args: [0n, 0x5412n] }))).toBe("ERRNO(1)");
    for (const name of ["read", "write", "close"]) expect(show(run(program, { nr: NR(name), arch: ARCH }))).toBe("ALLOW");
    expect(show(run(program, { nr: NR("openat"), arch: ARCH }))).toBe("ERRNO(1)");
  });

  it("refuses a program over the kernel's 4096-instruction limit", () => {
    const p: SeccompProfile = {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: Array.from({ length: 1000 }, (_, i) => ({
        names: ["ioctl"],
        action: "SCMP_ACT_ERRNO" as const,
        args: [{ index: 1, value: BigInt(i), valueTwo: 0n, op: "SCMP_CMP_EQ" as const }],
      })),
    };
    expect(thrown(() => compile(p, X86_64)).message).toMatch(
      /^the seccomp filter would have \d+ instructions, more than the kernel's limit of 4096: use a shorter profile$/,
    );
  });
});
