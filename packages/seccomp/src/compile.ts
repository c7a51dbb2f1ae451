import { X32_SYSCALL_BIT, archByName, hostArch, isKnownSyscall, syscallNumber, type SeccompArch, type SeccompArchName } from "./arch";
import {
  Assembler,
  BPF_ALU_AND_K,
  BPF_JMP_JEQ_K,
  BPF_JMP_JGE_K,
  BPF_JMP_JGT_K,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_ARGS,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRAP,
  type Label,
} from "./bpf";
import { SeccompError } from "./errors";
import { ACTIONS, EPERM, MAX_ERRNO, OPERATORS, type SeccompAction, type SeccompArg, type SeccompProfile } from "./profile";

/** The SECCOMP_RET_* value of an action. */
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  switch (action) {
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET_ALLOW;
    case "SCMP_ACT_ERRNO": {
      const errno = errnoRet ?? EPERM;
      if (!Number.isInteger(errno) || errno < 0 || errno > MAX_ERRNO) {
        throw new SeccompError(`errno ${errno} is out of range (0 to ${MAX_ERRNO})`);
      }
      return (SECCOMP_RET_ERRNO | errno) >>> 0;
    }
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET_TRAP;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET_LOG;
    default:
      throw new SeccompError(`unknown action "${String(action)}" (expected one of ${ACTIONS.join(", ")})`);
  }
}

/** Syscalls with fewer than this many numbers left are checked one by one instead of split further. */
const LEAF_SIZE = 4;

interface CompiledRule {
  ret: number;
  args: SeccompArg[];
}

/**
 * Compiles a profile to a seccomp classic-BPF program for `arch` (the host's by
 * default): a Buffer of little-endian struct sock_filter, ready to be passed as
 * struct sock_fprog { len = buffer.length / 8, filter = buffer }.
 *
 * The program:
 *  1. loads seccomp_data.arch and kills the process unless it is `arch`'s
 *     native AUDIT_ARCH (32-bit and compat calls have other values);
 *  2. on x86_64, refuses x32 calls (same AUDIT_ARCH, number with bit 30 set)
 *     with the default action when that is an ERRNO, else kills the process;
 *     nr == -1 (a tracer skipping the call) is let through to the default;
 *  3. loads the number and finds its rules by binary search; a number's rules
 *     are tried in profile order and the first whose conditions hold decides;
 *  4. returns the default action for any other number.
 * Names the architecture does not have are skipped (profiles are usually
 * written for several); names no architecture has are refused.
 */
export function compile(profile: SeccompProfile, arch: SeccompArch | SeccompArchName = hostArch()): Buffer {
  const target = archByName(arch);
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet);

  const byNumber = new Map<number, CompiledRule[]>();
  for (const rule of profile.syscalls) {
    const ret = actionValue(rule.action, rule.errnoRet);
    for (const arg of rule.args) checkArg(arg);
    const seen = new Set<number>();
    for (const name of rule.names) {
      const nr = syscallNumber(name, target);
      if (nr === undefined) {
        if (!isKnownSyscall(name)) throw new SeccompError(`unknown syscall "${name}"`);
        continue;
      }
      if (seen.has(nr)) continue;
      seen.add(nr);
      const list = byNumber.get(nr) ?? [];
      list.push({ ret, args: rule.args });
      byNumber.set(nr, list);
    }
  }

  const asm = new Assembler();

  // 1. The architecture.
  const archOk = asm.label();
  asm.load(SECCOMP_DATA_ARCH);
  asm.jump(BPF_JMP_JEQ_K, target.auditArch, archOk, null);
  asm.ret(SECCOMP_RET_KILL_PROCESS);
  asm.place(archOk);

  // 2. The number, and on x86_64 the x32 ABI.
  asm.load(SECCOMP_DATA_NR);
  if (target.hasX32) {
    const dispatch = asm.label();
    const high = asm.label();
    asm.jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, high, dispatch);
    asm.place(high);
    asm.jump(BPF_JMP_JEQ_K, 0xffffffff, dispatch, null);
    const refuse = profile.defaultAction === "SCMP_ACT_ERRNO" ? defaultRet : SECCOMP_RET_KILL_PROCESS;
    asm.ret(refuse);
    asm.place(dispatch);
  }

  // 3, 4. Dispatch on the number.
  const numbers = [...byNumber.keys()].sort((a, b) => a - b);
  const tree = (nrs: number[]): void => {
    if (nrs.length <= LEAF_SIZE) {
      for (const nr of nrs) {
        const next = asm.label();
        asm.jump(BPF_JMP_JEQ_K, nr, null, next);
        rules(byNumber.get(nr) ?? []);
        asm.place(next);
      }
      asm.ret(defaultRet);
      return;
    }
    const mid = nrs.length >> 1;
    const upper = asm.label();
    asm.jump(BPF_JMP_JGE_K, nrs[mid], upper, null);
    tree(nrs.slice(0, mid));
    asm.place(upper);
    tree(nrs.slice(mid));
  };

  // The rules of one number; always ends in a return, so A may be clobbered.
  const rules = (list: CompiledRule[]): void => {
    for (const rule of list) {
      if (rule.args.length === 0) {
        asm.ret(rule.ret);
        return; // later rules for this number can never match
      }
      const indexes = rule.args.map((a) => a.index);
      const repeated = new Set(indexes).size !== indexes.length;
      // Conditions are ANDed; with a repeated index, each is a rule of its own (runc's reading).
      const groups = repeated ? rule.args.map((a) => [a]) : [rule.args];
      for (const group of groups) {
        const fail = asm.label();
        for (const arg of group) condition(asm, arg, fail);
        asm.ret(rule.ret);
        asm.place(fail);
      }
    }
    asm.ret(defaultRet);
  };

  tree(numbers);
  return asm.assemble();
}

const U64_MAX = (1n << 64n) - 1n;

function checkArg(arg: SeccompArg): void {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) {
    throw new SeccompError(`argument index ${arg.index} is out of range (0 to 5)`);
  }
  for (const v of [arg.value, arg.valueTwo]) {
    if (typeof v !== "bigint" || v < 0n || v > U64_MAX) {
      throw new SeccompError(`argument value ${String(v)} is not a 64-bit unsigned integer`);
    }
  }
  if (!(OPERATORS as readonly string[]).includes(arg.op)) {
    throw new SeccompError(`unknown operator "${String(arg.op)}" (expected one of ${OPERATORS.join(", ")})`);
  }
}

const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn);

/**
 * Emits code that falls through when the 64-bit argument satisfies `arg` and
 * jumps to `fail` otherwise. BPF registers are 32 bits, so each comparison is
 * made of the high halves first, then the low halves when the high halves are
 * equal (unsigned comparison throughout, as libseccomp defines the operators).
 * On little-endian machines args[i] is at 16 + 8*i, its low half first.
 */
function condition(asm: Assembler, arg: SeccompArg, fail: Label): void {
  const loAt = SECCOMP_DATA_ARGS + 8 * arg.index;
  const hiAt = loAt + 4;
  const v = arg.value;
  const pass = asm.label();
  switch (arg.op) {
    case "SCMP_CMP_EQ":
      asm.load(hiAt);
      asm.jump(BPF_JMP_JEQ_K, hi32(v), null, fail);
      asm.load(loAt);
      asm.jump(BPF_JMP_JEQ_K, lo32(v), null, fail);
      break;
    case "SCMP_CMP_NE":
      asm.load(hiAt);
      asm.jump(BPF_JMP_JEQ_K, hi32(v), null, pass);
      asm.load(loAt);
      asm.jump(BPF_JMP_JEQ_K, lo32(v), fail, null);
      break;
    case "SCMP_CMP_GT": // hi > H, or hi == H and lo > L
      asm.load(hiAt);
      asm.jump(BPF_JMP_JGT_K, hi32(v), pass, null);
      asm.jump(BPF_JMP_JEQ_K, hi32(v), null, fail);
      asm.load(loAt);
      asm.jump(BPF_JMP_JGT_K, lo32(v), null, fail);
      break;
    case "SCMP_CMP_GE": // hi > H, or hi == H and lo >= L
      asm.load(hiAt);
      asm.jump(BPF_JMP_JGT_K, hi32(v), pass, null);
      asm.jump(BPF_JMP_JEQ_K, hi32(v), null, fail);
      asm.load(loAt);
      asm.jump(BPF_JMP_JGE_K, lo32(v), null, fail);
      break;
    case "SCMP_CMP_LT": // not GE
      asm.load(hiAt);
      asm.jump(BPF_JMP_JGT_K, hi32(v), fail, null);
      asm.jump(BPF_JMP_JEQ_K, hi32(v), null, pass);
      asm.load(loAt);
      asm.jump(BPF_JMP_JGE_K, lo32(v), fail, null);
      break;
    case "SCMP_CMP_LE": // not GT
      asm.load(hiAt);
      asm.jump(BPF_JMP_JGT_K, hi32(v), fail, null);
      asm.jump(BPF_JMP_JEQ_K, hi32(v), null, pass);
      asm.load(loAt);
      asm.jump(BPF_JMP_JGT_K, lo32(v), fail, null);
      break;
    case "SCMP_CMP_MASKED_EQ": {
      // (arg & mask) == datum, half by half. A half whose mask is zero holds
      // when the datum's half is zero too and never otherwise: no code needed
      // then, or a plain jump to fail.
      const mask = v;
      const datum = arg.valueTwo;
      for (const [at, m, d] of [
        [hiAt, hi32(mask), hi32(datum)],
        [loAt, lo32(mask), lo32(datum)],
      ] as const) {
        if (m === 0) {
          if (d !== 0) asm.ja(fail);
          continue;
        }
        asm.load(at);
        if (m !== 0xffffffff) asm.stmt(BPF_ALU_AND_K, m);
        asm.jump(BPF_JMP_JEQ_K, d, null, fail);
      }
      break;
    }
    default:
      throw new SeccompError(`unknown operator "${String(arg.op)}"`);
  }
  asm.place(pass);
}
