import { SeccompError } from "./errors";

/**
 * Classic BPF as seccomp runs it: `struct sock_filter { __u16 code; __u8 jt;
 * __u8 jf; __u32 k; }`, 8 bytes per instruction, in the machine's byte order
 * (little endian on x86_64 and aarch64). Conditional jumps are relative and
 * forward only, with 8-bit offsets (at most 255 instructions ahead); BPF_JA has
 * a 32-bit offset. A filter has at most BPF_MAXINSNS instructions.
 */
export const SOCK_FILTER_SIZE = 8;
export const BPF_MAXINSNS = 4096;

// Opcodes (class | size | mode / op | source), from linux/filter.h and linux/bpf_common.h.
export const BPF_LD_W_ABS = 0x20; // A = seccomp_data[k] (32 bits)
export const BPF_ALU_AND_K = 0x54; // A &= k
export const BPF_JMP_JA = 0x05; // pc += k
export const BPF_JMP_JEQ_K = 0x15; // pc += (A == k) ? jt : jf
export const BPF_JMP_JGT_K = 0x25; // pc += (A > k) ? jt : jf   (unsigned)
export const BPF_JMP_JGE_K = 0x35; // pc += (A >= k) ? jt : jf  (unsigned)
export const BPF_JMP_JSET_K = 0x45; // pc += (A & k) ? jt : jf
export const BPF_RET_K = 0x06; // return k

/** Return values of a seccomp filter (linux/seccomp.h); ERRNO and TRAP carry 16 bits of data. */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

/** Offsets in struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_ARGS = 16;
export const SECCOMP_DATA_SIZE = 64;

export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: a label placed with Assembler.place(). */
export type Label = number;

type Item =
  | { kind: "label"; label: Label }
  | { kind: "stmt"; code: number; k: number }
  | { kind: "cond"; code: number; k: number; jt: Label; jf: Label }
  | { kind: "ja"; target: Label };

/**
 * Builds a program with symbolic forward jumps and lays it out. A conditional
 * jump whose target ends up more than 255 instructions away gets a trampoline:
 * an unconditional BPF_JA (32-bit offset) placed right after the jump, which the
 * jump reaches with offset 0. Inserting a trampoline moves later code, so the
 * layout repeats until every conditional jump is in range.
 */
export class Assembler {
  private readonly items: Item[] = [];
  private labels = 0;

  label(): Label {
    return this.labels++;
  }

  place(label: Label): void {
    this.items.push({ kind: "label", label });
  }

  stmt(code: number, k: number): void {
    this.items.push({ kind: "stmt", code, k: k >>> 0 });
  }

  load(offset: number): void {
    this.stmt(BPF_LD_W_ABS, offset);
  }

  ret(k: number): void {
    this.stmt(BPF_RET_K, k);
  }

  /** A conditional jump; `null` for a branch means the next instruction. */
  jump(code: number, k: number, jt: Label | null, jf: Label | null): void {
    let next: Label | undefined;
    const target = (l: Label | null): Label => {
      if (l !== null) return l;
      next ??= this.label();
      return next;
    };
    this.items.push({ kind: "cond", code, k: k >>> 0, jt: target(jt), jf: target(jf) });
    if (next !== undefined) this.place(next);
  }

  ja(target: Label): void {
    this.items.push({ kind: "ja", target });
  }

  /** Lays the program out and encodes it; throws SeccompError past BPF_MAXINSNS. */
  assemble(): Buffer {
    const items = this.items;
    let labelAt = new Map<Label, number>();
    let insnAt: number[] = [];
    const layout = (): number => {
      labelAt = new Map();
      insnAt = [];
      let pc = 0;
      items.forEach((item, i) => {
        if (item.kind === "label") labelAt.set(item.label, pc);
        else insnAt[i] = pc++;
      });
      return pc;
    };
    const offset = (from: number, label: Label): number => {
      const to = labelAt.get(label);
      if (to === undefined) throw new Error(`BPF label ${label} was never placed`);
      const off = to - insnAt[from] - 1;
      if (off < 0) throw new Error(`BPF jump backwards (label ${label})`);
      return off;
    };

    let length = layout();
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind !== "cond") continue;
      let inserted = false;
      for (const branch of ["jt", "jf"] as const) {
        if (offset(i, item[branch]) <= 255) continue;
        const trampoline = this.label();
        items.splice(i + 1, 0, { kind: "label", label: trampoline }, { kind: "ja", target: item[branch] });
        item[branch] = trampoline;
        inserted = true;
        length = layout();
      }
      // Jumps before this one may now reach too far: look again from the start.
      if (inserted) i = -1;
      if (length > BPF_MAXINSNS * 2) break; // hopeless; reported below
    }

    if (length > BPF_MAXINSNS) {
      throw new SeccompError(
        `the seccomp filter would have ${length} instructions, more than the kernel's limit of ${BPF_MAXINSNS}: use a shorter profile`,
      );
    }
    const out = Buffer.alloc(length * SOCK_FILTER_SIZE);
    items.forEach((item, i) => {
      if (item.kind === "label") return;
      const at = insnAt[i] * SOCK_FILTER_SIZE;
      let insn: SockFilter;
      if (item.kind === "stmt") insn = { code: item.code, jt: 0, jf: 0, k: item.k };
      else if (item.kind === "ja") insn = { code: BPF_JMP_JA, jt: 0, jf: 0, k: offset(i, item.target) };
      else insn = { code: item.code, jt: offset(i, item.jt), jf: offset(i, item.jf), k: item.k };
      if (insn.jt > 255 || insn.jf > 255) throw new Error("BPF conditional jump out of range");
      out.writeUInt16LE(insn.code, at);
      out.writeUInt8(insn.jt, at + 2);
      out.writeUInt8(insn.jf, at + 3);
      out.writeUInt32LE(insn.k >>> 0, at + 4);
    });
    return out;
  }
}

/** Decodes a program produced by compile() (little-endian struct sock_filter array). */
export function decodeProgram(program: Buffer): SockFilter[] {
  if (program.length % SOCK_FILTER_SIZE !== 0) {
    throw new SeccompError(`a BPF program is a multiple of ${SOCK_FILTER_SIZE} bytes, not ${program.length}`);
  }
  const out: SockFilter[] = [];
  for (let at = 0; at < program.length; at += SOCK_FILTER_SIZE) {
    out.push({
      code: program.readUInt16LE(at),
      jt: program.readUInt8(at + 2),
      jf: program.readUInt8(at + 3),
      k: program.readUInt32LE(at + 4),
    });
  }
  return out;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

/** One line per instruction, in the style of seccomp-tools / bpf_dbg, for debugging. */
export function disassemble(program: Buffer): string[] {
  return decodeProgram(program).map((insn, pc) => {
    const to = (off: number): number => pc + 1 + off;
    const at = String(pc).padStart(4, "0");
    switch (insn.code) {
      case BPF_LD_W_ABS:
        return `${at}: A = data[${insn.k}]`;
      case BPF_ALU_AND_K:
        return `${at}: A &= ${hex(insn.k)}`;
      case BPF_JMP_JA:
        return `${at}: goto ${to(insn.k)}`;
      case BPF_JMP_JEQ_K:
      case BPF_JMP_JGT_K:
      case BPF_JMP_JGE_K:
      case BPF_JMP_JSET_K: {
        const op = { [BPF_JMP_JEQ_K]: "==", [BPF_JMP_JGT_K]: ">", [BPF_JMP_JGE_K]: ">=", [BPF_JMP_JSET_K]: "&" }[insn.code];
        return `${at}: if (A ${op} ${hex(insn.k)}) goto ${to(insn.jt)} else goto ${to(insn.jf)}`;
      }
      case BPF_RET_K:
        return `${at}: return ${retName(insn.k)}`;
      default:
        return `${at}: code=0x${insn.code.toString(16)} jt=${insn.jt} jf=${insn.jf} k=${hex(insn.k)}`;
    }
  });
}

function retName(k: number): string {
  const data = k & SECCOMP_RET_DATA;
  switch ((k & 0xffff0000) >>> 0) {
    case SECCOMP_RET_KILL_PROCESS:
      return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD:
      return "KILL_THREAD";
    case SECCOMP_RET_TRAP:
      return `TRAP(${data})`;
    case SECCOMP_RET_ERRNO:
      return `ERRNO(${data})`;
    case SECCOMP_RET_LOG:
      return "LOG";
    case SECCOMP_RET_ALLOW:
      return "ALLOW";
    default:
      return hex(k);
  }
}
