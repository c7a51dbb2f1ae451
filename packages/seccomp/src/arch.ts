import { SeccompError } from "./errors";
import { OTHER_ARCH_SYSCALLS, SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "./syscalls";

/** AUDIT_ARCH_* values, as the kernel puts them in seccomp_data.arch. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;

/** x86_64's x32 ABI marks its system call numbers with this bit. */
export const X32_SYSCALL_BIT = 0x40000000;

export type SeccompArchName = "x86_64" | "aarch64";

/** One architecture a filter can be compiled for. Both are little endian. */
export interface SeccompArch {
  readonly name: SeccompArchName;
  /** The value of seccomp_data.arch for this architecture's native calls. */
  readonly auditArch: number;
  /** The libseccomp / OCI name, as in a profile's "architectures". */
  readonly scmpName: string;
  /** The Go name, as in a Docker profile's includes.arches / excludes.arches. */
  readonly goArch: string;
  /** True when another ABI (x32) shares auditArch and must be told apart by the number. */
  readonly hasX32: boolean;
  readonly syscalls: Readonly<Record<string, number>>;
}

export const X86_64: SeccompArch = Object.freeze({
  name: "x86_64",
  auditArch: AUDIT_ARCH_X86_64,
  scmpName: "SCMP_ARCH_X86_64",
  goArch: "amd64",
  hasX32: true,
  syscalls: SYSCALLS_X86_64,
});

export const AARCH64: SeccompArch = Object.freeze({
  name: "aarch64",
  auditArch: AUDIT_ARCH_AARCH64,
  scmpName: "SCMP_ARCH_AARCH64",
  goArch: "arm64",
  hasX32: false,
  syscalls: SYSCALLS_AARCH64,
});

export const ARCHES: readonly SeccompArch[] = Object.freeze([X86_64, AARCH64]);

/** The architecture of this Node process: 'x64' → x86_64, 'arm64' → aarch64. */
export function hostArch(nodeArch: string = process.arch): SeccompArch {
  if (nodeArch === "x64") return X86_64;
  if (nodeArch === "arm64") return AARCH64;
  throw new SeccompError(
    `seccomp filters are not supported on this architecture (${nodeArch}; minictl knows x64 and arm64): use --seccomp unconfined`,
  );
}

export function archByName(name: SeccompArch | SeccompArchName): SeccompArch {
  if (typeof name !== "string") return name;
  const arch = ARCHES.find((a) => a.name === name);
  if (arch === undefined) throw new SeccompError(`unknown seccomp architecture "${String(name)}"`);
  return arch;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const OTHER = new Set(OTHER_ARCH_SYSCALLS);

/** The number of `name` on `arch`, or undefined when that architecture has no such call. */
export function syscallNumber(name: string, arch: SeccompArch): number | undefined {
  return hasOwn(arch.syscalls, name) ? arch.syscalls[name] : undefined;
}

/** True when `name` is a system call of some Linux architecture minictl knows of. */
export function isKnownSyscall(name: string): boolean {
  return hasOwn(SYSCALLS_X86_64, name) || hasOwn(SYSCALLS_AARCH64, name) || OTHER.has(name);
}

/** The libseccomp architecture names a profile's "architectures" list may use. */
export const SCMP_ARCH_NAMES: readonly string[] = Object.freeze([
  "SCMP_ARCH_NATIVE",
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
]);
