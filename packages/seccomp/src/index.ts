import { readFileSync } from "node:fs";
import { hostArch } from "./arch";
import { compile } from "./compile";
import { defaultProfile } from "./default";
import { SeccompError } from "./errors";
import { parseProfile, type ProfileContext } from "./profile";

export { SeccompError } from "./errors";
export {
  AARCH64,
  ARCHES,
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_X86_64,
  SCMP_ARCH_NAMES,
  X32_SYSCALL_BIT,
  X86_64,
  archByName,
  hostArch,
  isKnownSyscall,
  syscallNumber,
} from "./arch";
export type { SeccompArch, SeccompArchName } from "./arch";
export { OTHER_ARCH_SYSCALLS, SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "./syscalls";
export { ACTIONS, EPERM, MAX_ERRNO, OPERATORS, parseProfile, profileToJson, validateProfile } from "./profile";
export type { ProfileContext, SeccompAction, SeccompArg, SeccompOperator, SeccompProfile, SeccompRule } from "./profile";
export { DEFAULT_DENY_SYSCALLS, TIOCLINUX, TIOCSTI, defaultProfile } from "./default";
export { actionValue, compile } from "./compile";
export {
  BPF_MAXINSNS,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRAP,
  SOCK_FILTER_SIZE,
  decodeProgram,
  disassemble,
} from "./bpf";
export type { SockFilter } from "./bpf";

/**
 * The filter for a `--seccomp` option, compiled for the host:
 *  - "default": minictl's default profile;
 *  - "unconfined": undefined (install no filter);
 *  - anything else: the path of an OCI or Docker seccomp profile (JSON).
 * A file really named "default" or "unconfined" is given as ./default.
 * `context.caps` (the container's bounding set) lets Docker-format entries
 * that depend on capabilities be evaluated; see ProfileContext.
 */
export function filterFor(opt: "default" | "unconfined" | string, context: ProfileContext = {}): Buffer | undefined {
  if (opt === "unconfined") return undefined;
  const arch = context.arch ?? hostArch();
  if (opt === "default") return compile(defaultProfile(), arch);
  let text: string;
  try {
    text = readFileSync(opt, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new SeccompError(`cannot read seccomp profile ${opt}: ${code}`, opt);
  }
  const profile = parseProfile(text, opt, { ...context, arch });
  try {
    return compile(profile, arch);
  } catch (err) {
    if (err instanceof SeccompError) throw new SeccompError(`${opt}: ${err.message}`, opt);
    throw err;
  }
}
