/**
 * A classic-BPF interpreter for seccomp filters, written from the kernel's
 * documented semantics and independent of src/ (it decodes the bytes itself),
 * so the tests check the compiler against a second implementation.
 *
 * verify() applies the checks the kernel makes when a filter is installed
 * (bpf_check_classic + seccomp_check_filter): length 1..4096, only the
 * instructions seccomp allows, loads from seccomp_data aligned and in range,
 * jumps inside the program, a return as the last instruction.
 */

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  args?: readonly bigint[];
}

export type ActionName =
  | "KILL_PROCESS"
  | "KILL_THREAD"
  | "TRAP"
  | "ERRNO"
  | "USER_NOTIF"
  | "TRACE"
  | "LOG"
  | "ALLOW"
  | "UNKNOWN";

export interface Verdict {
  action: ActionName;
  /** The low 16 bits (the errno of ERRNO). */
  data: number;
  raw: number;
  /** Instructions executed. */
  steps: number;
}

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const SECCOMP_DATA_SIZE = 64;

// Classes, sizes, modes, ops, sources (linux/bpf_common.h).
const BPF_CLASS = (c: number) => c & 0x07;
const BPF_LD = 0x00;
const BPF_LDX = 0x01;
const BPF_ST = 0x02;
const BPF_STX = 0x03;
const BPF_ALU = 0x04;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_MISC = 0x07;
const BPF_W = 0x00;
const BPF_IMM = 0x00;
const BPF_ABS = 0x20;
const BPF_MEM = 0x60;
const BPF_LEN = 0x80;
const BPF_K = 0x00;
const BPF_X = 0x08;
const BPF_A = 0x10;
const BPF_TAX = 0x00;
const BPF_TXA = 0x80;

const ALLOWED = new Set<number>([
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_LD | BPF_IMM,
  BPF_LDX | BPF_IMM,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  BPF_JMP | 0x00, // JA
  ...[0x10, 0x20, 0x30, 0x40].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
  ...[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0].flatMap((op) => [
    BPF_ALU | op | BPF_K,
    BPF_ALU | op | BPF_X,
  ]),
  BPF_ALU | 0x80, // NEG
]);

export function decode(program: Buffer): Insn[] {
  if (program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let at = 0; at < program.length; at += 8) {
    out.push({
      code: program.readUInt16LE(at),
      jt: program.readUInt8(at + 2),
      jf: program.readUInt8(at + 3),
      k: program.readUInt32LE(at + 4),
    });
  }
  return out;
}

export function verify(program: Buffer): Insn[] {
  const insns = decode(program);
  if (insns.length === 0 || insns.length > 4096) throw new Error(`bad length ${insns.length}`);
  insns.forEach((insn, pc) => {
    if (!ALLOWED.has(insn.code)) throw new Error(`pc ${pc}: opcode 0x${insn.code.toString(16)} not allowed in seccomp`);
    if (insn.code === (BPF_LD | BPF_W | BPF_ABS) && (insn.k >= SECCOMP_DATA_SIZE || insn.k % 4 !== 0)) {
      throw new Error(`pc ${pc}: load from offset ${insn.k}`);
    }
    if ((insn.code & ~0x08) === (BPF_LD | BPF_MEM) || insn.code === BPF_ST || insn.code === BPF_STX) {
      if (insn.k >= 16) throw new Error(`pc ${pc}: scratch memory index ${insn.k}`);
    }
    if (BPF_CLASS(insn.code) === BPF_JMP) {
      if (insn.code === BPF_JMP) {
        if (pc + 1 + insn.k >= insns.length) throw new Error(`pc ${pc}: JA out of range`);
      } else if (pc + 1 + insn.jt >= insns.length || pc + 1 + insn.jf >= insns.length) {
        throw new Error(`pc ${pc}: jump out of range`);
      }
    }
  });
  if (BPF_CLASS(insns[insns.length - 1].code) !== BPF_RET) throw new Error("last instruction is not a return");
  return insns;
}

export function seccompData(d: SeccompData): Buffer {
  const buf = Buffer.alloc(SECCOMP_DATA_SIZE);
  buf.writeInt32LE(d.nr | 0, 0);
  buf.writeUInt32LE(d.arch >>> 0, 4);
  buf.writeBigUInt64LE(d.instructionPointer ?? 0n, 8);
  const args = d.args ?? [];
  for (let i = 0; i < 6; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, args[i] ?? 0n), 16 + 8 * i);
  return buf;
}

export function actionOf(raw: number): ActionName {
  switch ((raw & 0xffff0000) >>> 0) {
    case 0x80000000:
      return "KILL_PROCESS";
    case 0x00000000:
      return "KILL_THREAD";
    case 0x00030000:
      return "TRAP";
    case 0x00050000:
      return "ERRNO";
    case 0x7fc00000:
      return "USER_NOTIF";
    case 0x7ff00000:
      return "TRACE";
    case 0x7ffc0000:
      return "LOG";
    case 0x7fff0000:
      return "ALLOW";
    default:
      return "UNKNOWN";
  }
}

export function run(program: Buffer, data: SeccompData): Verdict {
  const insns = verify(program);
  const mem = seccompData(data);
  const scratch = new Uint32Array(16);
  let A = 0;
  let X = 0;
  let pc = 0;
  let steps = 0;
  for (;;) {
    if (pc >= insns.length) throw new Error("ran off the end of the program");
    const { code, jt, jf, k } = insns[pc];
    steps++;
    pc++;
    switch (BPF_CLASS(code)) {
      case BPF_LD:
        if (code === (BPF_LD | BPF_W | BPF_ABS)) A = mem.readUInt32LE(k);
        else if (code === (BPF_LD | BPF_W | BPF_LEN)) A = SECCOMP_DATA_SIZE;
        else if (code === (BPF_LD | BPF_IMM)) A = k;
        else if (code === (BPF_LD | BPF_MEM)) A = scratch[k];
        break;
      case BPF_LDX:
        if (code === (BPF_LDX | BPF_W | BPF_LEN)) X = SECCOMP_DATA_SIZE;
        else if (code === (BPF_LDX | BPF_IMM)) X = k;
        else if (code === (BPF_LDX | BPF_MEM)) X = scratch[k];
        break;
      case BPF_ST:
        scratch[k] = A;
        break;
      case BPF_STX:
        scratch[k] = X;
        break;
      case BPF_ALU: {
        const src = code & BPF_X ? X : k;
        switch (code & 0xf0) {
          case 0x00: A = (A + src) >>> 0; break;
          case 0x10: A = (A - src) >>> 0; break;
          case 0x20: A = Number((BigInt(A) * BigInt(src)) & 0xffffffffn); break;
          case 0x30: if (src === 0) return verdict(0, steps); A = Math.floor(A / src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          case 0x50: A = (A & src) >>> 0; break;
          case 0x60: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case 0x70: A = src >= 32 ? 0 : A >>> src; break;
          case 0x80: A = -A >>> 0; break;
          case 0x90: if (src === 0) return verdict(0, steps); A = (A % src) >>> 0; break;
          case 0xa0: A = (A ^ src) >>> 0; break;
          default: throw new Error(`ALU op 0x${code.toString(16)}`);
        }
        break;
      }
      case BPF_JMP: {
        if ((code & 0xf0) === 0x00) {
          pc += k;
          break;
        }
        const src = (code & BPF_X ? X : k) >>> 0;
        let taken: boolean;
        switch (code & 0xf0) {
          case 0x10: taken = A === src; break;
          case 0x20: taken = A > src; break;
          case 0x30: taken = A >= src; break;
          case 0x40: taken = (A & src) !== 0; break;
          default: throw new Error(`JMP op 0x${code.toString(16)}`);
        }
        pc += taken ? jt : jf;
        break;
      }
      case BPF_RET:
        return verdict(code & BPF_A ? A : k, steps);
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TXA) A = X;
        else if ((code & 0xf8) === BPF_TAX) X = A;
        break;
      default:
        throw new Error(`opcode 0x${code.toString(16)}`);
    }
  }
}

function verdict(raw: number, steps: number): Verdict {
  const r = raw >>> 0;
  return { action: actionOf(r), data: r & 0xffff, raw: r, steps };
}

/** "ALLOW", "ERRNO(1)", "KILL_PROCESS", ...: compact for expectations. */
export function show(v: Verdict): string {
  return v.action === "ERRNO" || v.action === "TRAP" || v.action === "TRACE" ? `${v.action}(${v.data})` : v.action;
}
