/**
 * The launch plan: the vocabulary shared by the TypeScript policy layer and the C launcher.
 * Keep the opcodes and their arguments in sync with launcher/plan.h.
 */

export const Op = {
  CONFIG: 1,
  MOUNT: 2,
  FSMOUNT: 3,
  CLONE: 4,
  ATTACH: 5,
  PIVOT: 6,
  MKDIR: 7,
  MKFILE: 8,
  SYMLINK: 9,
  HOSTNAME: 10,
  LOUP: 11,
  CHDIR: 12,
  ARGV: 13,
  ENV: 14,
  BSET: 15,
  SECUREBITS: 16,
  SETGROUPS: 17,
  SETRESGID: 18,
  SETRESUID: 19,
  CAPSET: 20,
  AMBIENT: 21,
  NNP: 22,
  RLIMIT: 23,
  CAPEDIT: 24,
  SHOWCREDS: 25,
  SLEEP: 26,
  SECCOMP: 27,
  MASK: 28,
  READONLY: 29,
  WRITEFILE: 30,
  JOIN: 31,
  STARTGATE: 32,
  CONSOLE: 33,
  SETNS: 34,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** One primitive step; `what` names it in error messages ("mount proc on /proc"). */
export interface Step {
  op: OpCode;
  args: string[];
  what: string;
}

/** Linux constants the plan passes through as numbers. */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWCGROUP: 0x02000000,
} as const;

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  BIND: 0x1000,
  REC: 0x4000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
} as const;

/** mount_setattr(2) / fsmount(2) attribute bits. */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
} as const;

/** setrlimit(2) resources, by their OCI names. */
export const RLIMIT: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

/** RLIM_INFINITY, as the launcher's strtoull reads it. */
export const RLIM_INFINITY = 18446744073709551615n;

export const PLAN_MAGIC = 0x3150434d;

/** Serialise steps for the launcher: u32 magic, u32 length, then the body of plan.c. */
export function encodePlan(steps: readonly Step[]): Buffer {
  // One buffer sized up front: a plan has hundreds of strings, and a Buffer for each costs ~1 ms.
  let size = 12;
  for (const s of steps) {
    size += 4;
    for (const a of s.args) {
      if (a.includes('\0')) throw new Error(`plan step "${s.what}": argument contains a NUL byte`);
      size += 4 + Buffer.byteLength(a, 'utf8');
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32LE(PLAN_MAGIC, 0);
  at = out.writeUInt32LE(size - 8, at);
  at = out.writeUInt32LE(steps.length, at);
  for (const s of steps) {
    at = out.writeUInt16LE(s.op, at);
    at = out.writeUInt16LE(s.args.length, at);
    for (const a of s.args) {
      const n = out.write(a, at + 4, 'utf8');
      out.writeUInt32LE(n, at);
      at += 4 + n;
    }
  }
  return out;
}
