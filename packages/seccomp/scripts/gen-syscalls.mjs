#!/usr/bin/env node
// Generates src/syscalls.ts from the kernel UAPI headers installed on the
// machine (Debian's linux-libc-dev), so that building minictl needs no headers.
//
//   node scripts/gen-syscalls.mjs [--check] [INCLUDE_DIR]   (default /usr/include)
//
// --check writes nothing and exits 1 when src/syscalls.ts differs from what
// the headers give (the unit tests run it when the headers are installed).
//
// x86_64:  <arch include>/asm/unistd_64.h, plain "#define __NR_name N" lines.
// aarch64: asm-generic/unistd.h, the generic table that arm64 includes from its
//          own asm/unistd.h after defining the __ARCH_WANT_* switches listed in
//          AARCH64_DEFINES below (as arch/arm64/include/uapi/asm/unistd.h does).
//          The header is full of #if blocks, so it goes through the small
//          conditional evaluator below with __BITS_PER_LONG = 64.
// Other names: the i386 (unistd_32.h) and x32 (unistd_x32.h) headers, the
//          generic table as a 32-bit architecture sees it, and OTHER_ARCH_EXTRA
//          below. These names have no number in either table; they exist so that
//          a profile written for several architectures (as container engines
//          ship them) is accepted, while a typo is still refused.
//
// Syscalls newer than the installed headers: numbers from 424 on are the same
// on every architecture (the kernel unified them), and the kernel's own tables
// (scripts/syscall.tbl and arch/x86/entry/syscalls/syscall_64.tbl) give
// NEWER_THAN_HEADERS below. They are added to both tables only when the headers
// do not already define them, so that a filter can name calls that a newer
// running kernel has (glibc falls back from fchmodat2 only on ENOSYS, never on
// an EPERM from a filter that could not name it).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const argv = process.argv.slice(2);
const check = argv[0] === "--check";
const include = (check ? argv[1] : argv[0]) ?? "/usr/include";
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "syscalls.ts");

const AARCH64_DEFINES = {
  __BITS_PER_LONG: "64",
  __ARCH_WANT_RENAMEAT: "1",
  __ARCH_WANT_NEW_STAT: "1",
  __ARCH_WANT_SET_GET_RLIMIT: "1",
  __ARCH_WANT_TIME32_SYSCALLS: "1",
  __ARCH_WANT_SYS_CLONE3: "1",
  __ARCH_WANT_MEMFD_SECRET: "1",
};

const NEWER_THAN_HEADERS = {
  cachestat: 451,
  fchmodat2: 452,
  map_shadow_stack: 453,
  futex_wake: 454,
  futex_wait: 455,
  futex_requeue: 456,
  statmount: 457,
  listmount: 458,
  lsm_get_self_attr: 459,
  lsm_set_self_attr: 460,
  lsm_list_modules: 461,
  mseal: 462,
  setxattrat: 463,
  getxattrat: 464,
  listxattrat: 465,
  removexattrat: 466,
  open_tree_attr: 467,
  file_getattr: 468,
  file_setattr: 469,
  listns: 470,
};

// Syscalls that exist only on architectures whose headers Debian does not
// install on an amd64 machine (arm, powerpc, s390, mips, riscv, m68k, sparc,
// alpha, ...); multi-architecture profiles name them.
const OTHER_ARCH_EXTRA = [
  // arm (32-bit)
  "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls", "usr26", "usr32",
  // powerpc
  "sync_file_range2", "subpage_prot", "spu_run", "spu_create", "swapcontext", "sys_debug_setcontext",
  "switch_endian", "rtas", "multiplexer", "kern_features", "pciconfig_read", "pciconfig_write",
  "pciconfig_iobase",
  // s390
  "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr", "s390_guarded_storage", "s390_sthyi",
  // mips
  "sysmips", "cachectl",
  // riscv
  "riscv_flush_icache", "riscv_hwprobe",
  // m68k
  "atomic_cmpxchg_32", "atomic_barrier", "get_thread_area", "set_thread_area",
  // x86_64, newer than the installed headers (not numbered here: the kernel
  // runs uretprobe's own calls past seccomp)
  "uretprobe",
  // older or rarer ABIs that container engines' profiles still name (alpha, ia64,
  // parisc, mips, arm OABI): send/recv sockets, the indirect syscall, …
  "get_tls", "oldwait4", "recv", "send", "syscall", "timerfd",
];

/** Reads a header, joining backslash-continued lines. */
function lines(path) {
  return readFileSync(path, "utf8").replace(/\\\n/g, " ").split("\n");
}

/**
 * Runs the preprocessor conditionals of a header (#if, #ifdef, #ifndef, #elif,
 * #else, #endif) with `defines` as the starting macros and returns every macro
 * defined on an active line. #include lines are ignored: the callers supply
 * what the includes would have defined.
 */
function preprocess(path, defines) {
  const macros = new Map(Object.entries(defines));
  // Each frame: { active: this branch is taken, taken: some branch was taken, parent: enclosing active }
  const stack = [];
  const active = () => stack.length === 0 || stack[stack.length - 1].active;
  for (const raw of lines(path)) {
    const line = raw.replace(/\/\*.*?\*\//g, " ").trim();
    const m = /^#\s*(\w+)\s*(.*)$/.exec(line);
    if (m === null) continue;
    const [, directive, rest] = m;
    switch (directive) {
      case "if":
      case "ifdef":
      case "ifndef": {
        const parent = active();
        let cond;
        if (directive === "ifdef") cond = macros.has(rest.trim());
        else if (directive === "ifndef") cond = !macros.has(rest.trim());
        else cond = evaluate(rest, macros);
        stack.push({ active: parent && cond, taken: cond, parent });
        break;
      }
      case "elif": {
        const top = stack[stack.length - 1];
        const cond = !top.taken && evaluate(rest, macros);
        top.active = top.parent && cond;
        top.taken ||= cond;
        break;
      }
      case "else": {
        const top = stack[stack.length - 1];
        top.active = top.parent && !top.taken;
        top.taken = true;
        break;
      }
      case "endif":
        stack.pop();
        break;
      case "define": {
        if (!active()) break;
        const d = /^(\w+)(\([^)]*\))?\s*(.*)$/.exec(rest);
        if (d !== null && d[2] === undefined) macros.set(d[1], d[3].trim());
        break;
      }
      case "undef":
        if (active()) macros.delete(rest.trim());
        break;
      default:
        break;
    }
  }
  if (stack.length !== 0) throw new Error(`${path}: unbalanced #if`);
  return macros;
}

/** Evaluates a #if expression: defined(), integers, macros, ! && || == != < > <= >= ( ). */
function evaluate(expr, macros) {
  let js = expr.replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_, a, b) =>
    macros.has(a ?? b) ? "1" : "0",
  );
  js = js.replace(/[A-Za-z_]\w*/g, (name) => String(resolve(name, macros) ?? 0));
  if (!/^[\d\s()!&|=<>+\-*]*$/.test(js)) throw new Error(`cannot evaluate #if ${expr}`);
  return Boolean(Function(`"use strict"; return (${js});`)());
}

/** Resolves a macro to an integer, following macros defined as other macros or simple sums. */
function resolve(name, macros, depth = 0) {
  if (depth > 20) throw new Error(`macro loop at ${name}`);
  const value = macros.get(name);
  if (value === undefined) return undefined;
  const expr = value.replace(/[A-Za-z_]\w*/g, (n) => {
    const v = resolve(n, macros, depth + 1);
    if (v === undefined) throw new Error(`${name}: ${n} is not defined`);
    return String(v);
  });
  if (!/^[\d\s()+]+$/.test(expr)) throw new Error(`${name}: cannot evaluate "${value}"`);
  return Function(`"use strict"; return (${expr});`)();
}

/** The syscall table of a preprocessed header: name → number. */
function table(macros) {
  const result = new Map();
  for (const name of macros.keys()) {
    if (!name.startsWith("__NR_")) continue;
    const sys = name.slice("__NR_".length);
    if (sys === "syscalls" || sys === "arch_specific_syscall") continue;
    result.set(sys, resolve(name, macros));
  }
  return result;
}

function withNewer(tab) {
  for (const [name, nr] of Object.entries(NEWER_THAN_HEADERS)) {
    if (!tab.has(name)) tab.set(name, nr);
  }
  return tab;
}

const archInclude = join(include, "x86_64-linux-gnu");
const x86_64 = withNewer(table(preprocess(join(archInclude, "asm", "unistd_64.h"), {})));
const aarch64 = withNewer(table(preprocess(join(include, "asm-generic", "unistd.h"), AARCH64_DEFINES)));

const others = new Set(OTHER_ARCH_EXTRA);
for (const name of table(preprocess(join(archInclude, "asm", "unistd_32.h"), {})).keys()) others.add(name);
for (const name of table(preprocess(join(archInclude, "asm", "unistd_x32.h"), { __X32_SYSCALL_BIT: "1073741824" })).keys())
  others.add(name);
for (const name of table(preprocess(join(include, "asm-generic", "unistd.h"), { __BITS_PER_LONG: "32", __ARCH_WANT_RENAMEAT: "1", __ARCH_WANT_NEW_STAT: "1", __ARCH_WANT_STAT64: "1", __ARCH_WANT_SET_GET_RLIMIT: "1", __ARCH_WANT_TIME32_SYSCALLS: "1", __ARCH_WANT_SYS_CLONE3: "1", __ARCH_WANT_MEMFD_SECRET: "1", __ARCH_WANT_SYNC_FILE_RANGE2: "1" })).keys())
  others.add(name);
for (const name of x86_64.keys()) others.delete(name);
for (const name of aarch64.keys()) others.delete(name);

// Sanity checks on numbers every reader of this file knows.
const expect = (tab, name, nr) => {
  if (tab.get(name) !== nr) throw new Error(`${name} is ${tab.get(name)}, expected ${nr}`);
};
expect(x86_64, "read", 0);
expect(x86_64, "ioctl", 16);
expect(x86_64, "execve", 59);
expect(x86_64, "keyctl", 250);
expect(aarch64, "ioctl", 29);
expect(aarch64, "openat", 56);
expect(aarch64, "read", 63);
expect(aarch64, "fcntl", 25);
expect(aarch64, "newfstatat", 79);
expect(aarch64, "mmap", 222);
expect(aarch64, "clone3", 435);
for (const tab of [x86_64, aarch64]) {
  const seen = new Map();
  for (const [name, nr] of tab) {
    if (!Number.isInteger(nr) || nr < 0 || nr >= 0x40000000) throw new Error(`${name}: bad number ${nr}`);
    if (seen.has(nr)) throw new Error(`${name} and ${seen.get(nr)} share number ${nr}`);
    seen.set(nr, name);
  }
}

const body = (tab) =>
  [...tab]
    .sort((a, b) => a[1] - b[1])
    .map(([name, nr]) => `  ${/^\w+$/.test(name) && !/^\d/.test(name) ? name : JSON.stringify(name)}: ${nr},`)
    .join("\n");
const names = [...others].sort();
const wrap = (items) => {
  const rows = [];
  let row = " ";
  for (const item of items.map((n) => ` ${JSON.stringify(n)},`)) {
    if (row.length + item.length > 100) {
      rows.push(row);
      row = " ";
    }
    row += item;
  }
  rows.push(row);
  return rows.join("\n");
};

const text = `// GENERATED by scripts/gen-syscalls.mjs from the kernel UAPI headers
// (asm/unistd_64.h, asm-generic/unistd.h, asm/unistd_32.h, asm/unistd_x32.h)
// plus the syscalls newer than those headers listed in the script.
// Do not edit by hand: run \`node scripts/gen-syscalls.mjs\` instead.

/** x86_64 system call numbers (AUDIT_ARCH_X86_64), ${x86_64.size} calls. */
export const SYSCALLS_X86_64: Readonly<Record<string, number>> = Object.freeze({
${body(x86_64)}
});

/** aarch64 system call numbers (AUDIT_ARCH_AARCH64, the generic table), ${aarch64.size} calls. */
export const SYSCALLS_AARCH64: Readonly<Record<string, number>> = Object.freeze({
${body(aarch64)}
});

/**
 * Names of system calls that exist only on other architectures or ABIs (i386,
 * x32, 32-bit generic, arm, powerpc, s390, mips, riscv, ...). A profile may name
 * them; they are skipped when compiling for x86_64 or aarch64.
 */
export const OTHER_ARCH_SYSCALLS: readonly string[] = Object.freeze([
${wrap(names)}
]);
`;
if (check) {
  const same = readFileSync(out, "utf8") === text;
  console.log(same ? `${out} is up to date` : `${out} differs from the headers: run node scripts/gen-syscalls.mjs`);
  process.exit(same ? 0 : 1);
}
writeFileSync(out, text);
console.log(`wrote ${out}: x86_64 ${x86_64.size}, aarch64 ${aarch64.size}, other ${names.length}`);
