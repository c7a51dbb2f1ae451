import { describe, expect, it } from "vitest";
import { run, show, verify } from "./bpf-interpreter";

/** Hand-assembled programs, to check the test interpreter itself. */
function prog(...insns: [code: number, jt: number, jf: number, k: number][]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}

describe("the test interpreter", () => {
  it("reads seccomp_data little endian, args as two halves", () => {
    const lowHalf = prog([0x20, 0, 0, 16 + 8], [0x16, 0, 0, 0]); // A = args[1] low; return A
    const highHalf = prog([0x20, 0, 0, 16 + 12], [0x16, 0, 0, 0]);
    const data = { nr: 1, arch: 2, args: [0n, 0x1234567890abcdefn] };
    expect(run(lowHalf, data).raw).toBe(0x90abcdef);
    expect(run(highHalf, data).raw).toBe(0x12345678);
    expect(run(prog([0x20, 0, 0, 0], [0x16, 0, 0, 0]), { nr: -1, arch: 0 }).raw).toBe(0xffffffff);
  });

  it("jumps, masks and returns", () => {
    const p = prog(
      [0x20, 0, 0, 0], // A = nr
      [0x45, 0, 1, 0x40000000], // if (A & 0x40000000) goto 2 else 3
      [0x06, 0, 0, 0x00050000 | 22], // ERRNO(22)
      [0x54, 0, 0, 0xff], // A &= 0xff
      [0x25, 1, 0, 0x10], // if (A > 0x10) goto 6 else 5
      [0x06, 0, 0, 0x7fff0000], // ALLOW
      [0x05, 0, 0, 1], // goto 8
      [0x06, 0, 0, 0], // (skipped)
      [0x06, 0, 0, 0x80000000], // KILL_PROCESS
    );
    expect(show(run(p, { nr: 0x40000001, arch: 0 }))).toBe("ERRNO(22)");
    expect(show(run(p, { nr: 0x105, arch: 0 }))).toBe("ALLOW");
    expect(show(run(p, { nr: 0x111, arch: 0 }))).toBe("KILL_PROCESS");
  });

  it("refuses what the kernel refuses", () => {
    expect(() => verify(Buffer.alloc(0))).toThrow("bad length 0");
    expect(() => verify(prog([0x20, 0, 0, 0]))).toThrow("last instruction is not a return");
    expect(() => verify(prog([0x20, 0, 0, 2], [0x06, 0, 0, 0]))).toThrow("load from offset 2");
    expect(() => verify(prog([0x20, 0, 0, 64], [0x06, 0, 0, 0]))).toThrow("load from offset 64");
    expect(() => verify(prog([0x15, 0, 1, 0], [0x06, 0, 0, 0]))).toThrow("jump out of range");
    expect(() => verify(prog([0x05, 0, 0, 5], [0x06, 0, 0, 0]))).toThrow("JA out of range");
    expect(() => verify(prog([0x28, 0, 0, 0], [0x06, 0, 0, 0]))).toThrow("not allowed"); // BPF_LD|BPF_H|BPF_ABS
    expect(() => verify(Buffer.alloc(4097 * 8, 0x06))).toThrow("bad length 4097");
  });
});
