import { release } from "node:os";
import { SCMP_ARCH_NAMES, hostArch, isKnownSyscall, type SeccompArch } from "./arch";
import { SeccompError } from "./errors";
import { JsonSyntaxError, parseJson, type JsonValue } from "./json";

/** The actions minictl can compile (libseccomp's names, as OCI and Docker use them). */
export const ACTIONS = Object.freeze([
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_LOG",
] as const);
export type SeccompAction = (typeof ACTIONS)[number];

/** Real OCI actions that need a tracer or a listener minictl does not provide. */
const UNSUPPORTED_ACTIONS = new Set(["SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY"]);

/** Argument comparisons; every one compares the full unsigned 64-bit argument. */
export const OPERATORS = Object.freeze([
  "SCMP_CMP_EQ",
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_GT",
  "SCMP_CMP_GE",
  "SCMP_CMP_MASKED_EQ",
] as const);
export type SeccompOperator = (typeof OPERATORS)[number];

/**
 * One argument condition. For SCMP_CMP_MASKED_EQ, `value` is the mask and
 * `valueTwo` the value the masked argument must equal ((arg & value) == valueTwo);
 * the other operators compare the argument with `value` and ignore `valueTwo`.
 */
export interface SeccompArg {
  index: number;
  value: bigint;
  valueTwo: bigint;
  op: SeccompOperator;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  /** The errno of SCMP_ACT_ERRNO; EPERM when absent. */
  errnoRet?: number;
  /**
   * Conditions, all of which must hold (AND). When the same argument index
   * appears more than once, runc instead adds each condition as a rule of its
   * own (OR), and profiles written for it rely on that; minictl does the same.
   */
  args: SeccompArg[];
}

/** The OCI runtime spec's linux.seccomp object, as far as minictl uses it. */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  /** The errno of a SCMP_ACT_ERRNO default action; EPERM when absent. */
  defaultErrnoRet?: number;
  /**
   * Architectures the profile was written for. The filter always admits only
   * the native architecture of the machine; see README "Limits".
   */
  architectures?: string[];
  syscalls: SeccompRule[];
}

/**
 * What Docker-format conditions (includes / excludes) are evaluated against.
 * `arch` defaults to the host's, `kernelRelease` to os.release(). `caps`, the
 * container's bounding set (names such as "CAP_SYS_ADMIN"), has no default:
 * without it, entries that depend on capabilities are skipped (see below).
 */
export interface ProfileContext {
  arch?: SeccompArch;
  kernelRelease?: string;
  caps?: readonly string[];
}

export const EPERM = 1;
export const MAX_ERRNO = 4095;
const U64_MAX = (1n << 64n) - 1n;

type JsonObject = { [key: string]: JsonValue };

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const has = (o: JsonObject, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

const showValue = (v: JsonValue): string =>
  typeof v === "string" ? `"${v}"` : typeof v === "bigint" ? v.toString() : JSON.stringify(v);

/**
 * Parses and validates the text of an OCI or Docker seccomp profile. `source`
 * names it in error messages (the file path). Every problem is a SeccompError
 * with a one-line message "SOURCE: what is wrong (where)".
 */
export function parseProfile(text: string, source: string, context: ProfileContext = {}): SeccompProfile {
  let value: JsonValue;
  try {
    value = parseJson(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new SeccompError(`${source}: not valid JSON: ${err.message}`, source);
    }
    throw err;
  }
  return validateProfile(value, source, context);
}

/**
 * Validates a profile that is already a JavaScript value (for example the
 * linux.seccomp member of a bundle's config.json). Integers may be numbers or
 * bigints; numbers must be exact (at most 2^53 - 1).
 */
export function validateProfile(value: unknown, source: string, context: ProfileContext = {}): SeccompProfile {
  const bad = (what: string): never => {
    throw new SeccompError(`${source}: ${what}`, source);
  };
  const json = value as JsonValue;
  if (!isObject(json)) return bad("a seccomp profile must be a JSON object");

  const defaultAction = action(json.defaultAction, "defaultAction", bad);
  const profile: SeccompProfile = { defaultAction, syscalls: [] };
  if (has(json, "defaultErrnoRet") && json.defaultErrnoRet !== null) {
    profile.defaultErrnoRet = errno(json.defaultErrnoRet, "defaultErrnoRet", bad);
    if (defaultAction !== "SCMP_ACT_ERRNO") bad("defaultErrnoRet is only allowed with defaultAction SCMP_ACT_ERRNO");
  }
  if (has(json, "architectures") && json.architectures !== null) {
    const list = json.architectures;
    if (!Array.isArray(list)) return bad("architectures must be an array of strings");
    profile.architectures = list.map((a, i) => {
      if (typeof a !== "string" || !SCMP_ARCH_NAMES.includes(a)) {
        return bad(`unknown architecture ${showValue(a)} in architectures[${i}]`);
      }
      return a;
    });
  }
  // "archMap" (Docker: which sub-architectures to add per host) is ignored:
  // the filter admits only the native architecture. "flags", "listenerPath"
  // and "listenerMetadata" are ignored too; so are comments and unknown keys.

  const entries = has(json, "syscalls") ? json.syscalls : null;
  if (entries !== null) {
    if (!Array.isArray(entries)) return bad("syscalls must be an array");
    entries.forEach((entry, i) => {
      const rule = syscallEntry(entry, `syscalls[${i}]`, bad, context);
      if (rule !== undefined) profile.syscalls.push(rule);
    });
  }
  return profile;
}

type Bad = (what: string) => never;

function action(v: JsonValue | undefined, where: string, bad: Bad): SeccompAction {
  if (v === undefined || v === null) return bad(`${where} is missing`);
  if (typeof v !== "string") return bad(`${where} must be a string, not ${showValue(v)}`);
  if ((ACTIONS as readonly string[]).includes(v)) return v as SeccompAction;
  if (UNSUPPORTED_ACTIONS.has(v)) {
    return bad(`action "${v}" in ${where} is not supported by minictl (supported: ${ACTIONS.join(", ")})`);
  }
  return bad(`unknown action "${v}" in ${where} (expected one of ${ACTIONS.join(", ")})`);
}

function integer(v: JsonValue | undefined, max: bigint, where: string, bad: Bad): bigint {
  const range = `an integer from 0 to ${max}`;
  if (typeof v === "bigint") {
    if (v < 0n || v > max) bad(`${where} must be ${range}, not ${v}`);
    return v;
  }
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || BigInt(v) > max) bad(`${where} must be ${range}, not ${v}`);
    if (!Number.isSafeInteger(v)) bad(`${where} (${v}) is above 2^53 and may have been rounded by JSON.parse: pass a bigint, or parse the text with parseProfile`);
    return BigInt(v);
  }
  return bad(`${where} must be ${range}, not ${v === undefined ? "missing" : showValue(v)}`);
}

function errno(v: JsonValue | undefined, where: string, bad: Bad): number {
  return Number(integer(v, BigInt(MAX_ERRNO), where, bad));
}

function syscallEntry(entry: JsonValue, where: string, bad: Bad, context: ProfileContext): SeccompRule | undefined {
  if (!isObject(entry)) return bad(`${where} must be an object`);

  // Docker profiles carry conditions on each entry (includes / excludes).
  // Conditions on the architecture and the kernel version are evaluated here;
  // conditions on capabilities only when the caller says which capabilities
  // the container has. An entry whose conditions cannot be evaluated
  // (capabilities not given, or a condition this code does not know) is
  // skipped rather than guessed at. In the profiles this format exists for,
  // such entries widen what a privileged container may do (mount with
  // CAP_SYS_ADMIN, and so on), so skipping errs toward refusing. The caveat:
  // in a profile whose default is ALLOW, a capability-gated deny entry is
  // skipped too; a caller that knows the capability set passes `caps`.
  const names: string[] = [];
  const from: string[] = [];
  const addName = (n: JsonValue, at: string, list: string): void => {
    if (typeof n !== "string" || n === "") bad(`${at} must be a syscall name, not ${showValue(n)}`);
    else if (!names.includes(n)) {
      names.push(n);
      from.push(list);
    }
  };
  if (has(entry, "names") && entry.names !== null) {
    if (!Array.isArray(entry.names)) return bad(`${where}.names must be an array of syscall names`);
    entry.names.forEach((n, j) => addName(n, `${where}.names[${j}]`, `${where}.names`));
  }
  if (has(entry, "name") && entry.name !== null) addName(entry.name, `${where}.name`, `${where}.name`);
  if (names.length === 0) return bad(`${where} names no syscall (expected "names": [...])`);

  const act = action(entry.action, `${where}.action`, bad);
  const rule: SeccompRule = { names, action: act, args: [] };
  if (has(entry, "errnoRet") && entry.errnoRet !== null) {
    rule.errnoRet = errno(entry.errnoRet, `${where}.errnoRet`, bad);
    if (act !== "SCMP_ACT_ERRNO") bad(`${where}.errnoRet is only allowed with action SCMP_ACT_ERRNO`);
  }
  if (has(entry, "args") && entry.args !== null) {
    if (!Array.isArray(entry.args)) return bad(`${where}.args must be an array`);
    rule.args = entry.args.map((a, j) => argument(a, `${where}.args[${j}]`, bad));
  }

  if (!applies(entry, where, bad, context)) return undefined;

  // Names are checked only for entries that apply: an entry for another
  // architecture may name that architecture's own calls.
  names.forEach((n, j) => {
    if (!isKnownSyscall(n)) bad(`unknown syscall "${n}" in ${from[j]}`);
  });
  return rule;
}

function argument(a: JsonValue, where: string, bad: Bad): SeccompArg {
  if (!isObject(a)) return bad(`${where} must be an object`);
  const index = integer(a.index, 5n, `${where}.index`, bad);
  const value = integer(a.value, U64_MAX, `${where}.value`, bad);
  const valueTwo = has(a, "valueTwo") && a.valueTwo !== null ? integer(a.valueTwo, U64_MAX, `${where}.valueTwo`, bad) : 0n;
  const op = a.op;
  if (op === undefined || op === null) return bad(`${where}.op is missing`);
  if (typeof op !== "string" || !(OPERATORS as readonly string[]).includes(op)) {
    return bad(`unknown operator ${showValue(op)} in ${where}.op (expected one of ${OPERATORS.join(", ")})`);
  }
  return { index: Number(index), value, valueTwo, op: op as SeccompOperator };
}

const KNOWN_CONDITIONS = new Set(["arches", "caps", "minKernel"]);

/** Whether a Docker-format entry's includes/excludes hold; false also when they cannot be evaluated. */
function applies(entry: JsonObject, where: string, bad: Bad, context: ProfileContext): boolean {
  const conditions = (key: "includes" | "excludes"): JsonObject | undefined => {
    if (!has(entry, key) || entry[key] === null) return undefined;
    const c = entry[key];
    if (!isObject(c)) return bad(`${where}.${key} must be an object`);
    return c;
  };
  const strings = (c: JsonObject, key: string, at: string): string[] | undefined => {
    if (!has(c, key) || c[key] === null) return undefined;
    const list = c[key];
    if (!Array.isArray(list) || list.some((s) => typeof s !== "string")) {
      return bad(`${at}.${key} must be an array of strings`);
    }
    return list.length === 0 ? undefined : (list as string[]);
  };
  const includes = conditions("includes");
  const excludes = conditions("excludes");

  for (const c of [includes, excludes]) {
    if (c === undefined) continue;
    for (const k of Object.keys(c)) if (!KNOWN_CONDITIONS.has(k)) return false; // cannot evaluate
  }

  const arch = (): string => (context.arch ?? hostArch()).goArch;
  const kernelAtLeast = (c: JsonObject, at: string): boolean | undefined => {
    if (!has(c, "minKernel") || c.minKernel === null || c.minKernel === "") return undefined;
    const want = typeof c.minKernel === "string" ? /^(\d+)\.(\d+)$/.exec(c.minKernel) : null;
    if (want === null) return bad(`${at}.minKernel must be a version such as "5.8", not ${showValue(c.minKernel)}`);
    const running = /^(\d+)\.(\d+)/.exec(context.kernelRelease ?? release());
    if (running === null) return false;
    const [rMaj, rMin] = [Number(running[1]), Number(running[2])];
    const [wMaj, wMin] = [Number(want[1]), Number(want[2])];
    return rMaj > wMaj || (rMaj === wMaj && rMin >= wMin);
  };
  const normalCap = (s: string): string => {
    const upper = s.toUpperCase();
    return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  };
  const caps = context.caps === undefined ? undefined : new Set(context.caps.map(normalCap));

  if (includes !== undefined) {
    const arches = strings(includes, "arches", `${where}.includes`);
    if (arches !== undefined && !arches.includes(arch())) return false;
    const needCaps = strings(includes, "caps", `${where}.includes`);
    if (needCaps !== undefined) {
      if (caps === undefined) return false; // cannot evaluate
      if (!needCaps.every((c) => caps.has(normalCap(c)))) return false;
    }
    if (kernelAtLeast(includes, `${where}.includes`) === false) return false;
  }
  if (excludes !== undefined) {
    const arches = strings(excludes, "arches", `${where}.excludes`);
    if (arches !== undefined && arches.includes(arch())) return false;
    const withoutCaps = strings(excludes, "caps", `${where}.excludes`);
    if (withoutCaps !== undefined) {
      if (caps === undefined) return false; // cannot evaluate
      if (withoutCaps.some((c) => caps.has(normalCap(c)))) return false;
    }
    if (kernelAtLeast(excludes, `${where}.excludes`) === true) return false;
  }
  return true;
}

/**
 * Writes a profile as OCI JSON. Values that a double cannot hold exactly are
 * written as exact integer literals (which parseProfile reads back exactly).
 */
export function profileToJson(profile: SeccompProfile): string {
  const text = JSON.stringify(
    profile,
    (_key, v: unknown) => {
      if (typeof v !== "bigint") return v;
      return Number.isSafeInteger(Number(v)) ? Number(v) : `\u0000${v.toString()}\u0000`;
    },
    2,
  );
  return text.replace(/"\\u0000(\d+)\\u0000"/g, "$1");
}
