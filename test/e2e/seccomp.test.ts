import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DENY_SYSCALLS, hostArch, SYSCALLS_AARCH64, SYSCALLS_X86_64 } from '@minictl/seccomp';
import { describe, expect, it } from 'vitest';
import { Sandbox, statusField, tempDir, testImage, testProgram } from '../support/harness';

const box = new Sandbox();
const table: Record<string, number> = hostArch().name === 'aarch64' ? SYSCALLS_AARCH64 : SYSCALLS_X86_64;
// Calls that would end or multiply the probe itself rather than report a result.
const SKIP = new Set(['exit', 'exit_group', 'rt_sigreturn', 'fork', 'vfork', 'clone', 'clone3', 'pause', 'restart_syscall']);
const TIOCSTI = -1;
const TIOCSTI_HIGH_BITS = -2;

/** Every syscall of the host table, tried by test/programs/sysprobe.c in a container. */
function probeAll(args: string[]): Map<number, string> {
  const probe = testProgram('sysprobe');
  const numbers = [...Object.entries(table).filter(([n]) => !SKIP.has(n)).map(([, nr]) => nr), TIOCSTI, TIOCSTI_HIGH_BITS];
  const r = box.run(['run', '-v', `${path.dirname(probe)}:/probe:ro`, ...args, testImage(), '/probe/sysprobe', ...numbers.map(String)]);
  expect(r.status, r.stderr).toBe(0);
  const results = new Map(r.stdout.trim().split('\n').map((l) => [Number(l.split(' ')[0]), l.slice(l.indexOf(' ') + 1)] as const));
  expect(results.size).toBe(numbers.length);
  return results;
}

describe('seccomp', () => {
  it('installs the default filter, and none with --seccomp unconfined', () => {
    const on = box.sh('grep -E "^Seccomp" /proc/self/status');
    expect(statusField(on, 'Seccomp')).toBe('2');
    const off = box.sh('grep -E "^Seccomp" /proc/self/status', ['--seccomp', 'unconfined']);
    expect(statusField(off, 'Seccomp')).toBe('0');
  });

  it('blocks exactly its deny list, TIOCSTI in either spelling, and nothing else', () => {
    const filtered = probeAll([]);
    const open = probeAll(['--seccomp', 'unconfined']);
    const denied = new Set(DEFAULT_DENY_SYSCALLS.filter((n) => n in table).map((n) => table[n]));
    const name = new Map(Object.entries(table).map(([n, nr]) => [nr, n]));
    for (const [nr, result] of filtered) {
      const what = name.get(nr) ?? `ioctl ${nr}`;
      if (denied.has(nr) || nr < 0) expect(result, what).toBe('EPERM');
      else expect(result, `${what} must behave as without the filter`).toBe(open.get(nr));
    }
    // The control: unfiltered, these calls reach the kernel and fail for other reasons.
    for (const n of ['keyctl', 'add_key', 'request_key', 'perf_event_open', 'userfaultfd'])
      expect(open.get(table[n]), n).not.toBe('EPERM');
    expect(open.get(TIOCSTI)).not.toBe('EPERM');
    expect(open.get(TIOCSTI_HIGH_BITS)).not.toBe('EPERM');
  });

  it('takes an OCI/Docker profile file', () => {
    const file = path.join(tempDir(), 'profile.json');
    fs.writeFileSync(file, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getcwd'], action: 'SCMP_ACT_ERRNO', errnoRet: 99 }] }));
    const r = box.run(['run', '--seccomp', file, testImage(), '/bin/pwd']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Cannot assign requested address|Address not available/);
  });

  const engineProfile = '/usr/share/containers/seccomp.json';
  it.skipIf(!fs.existsSync(engineProfile))("takes the container engines' own profile (Debian's containers-common)", () => {
    const r = box.run(['run', '--seccomp', engineProfile, testImage(), 'sh', '-c', 'grep Seccomp: /proc/self/status']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Seccomp:\s+2/);
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['an unknown syscall', JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['frobnicate'], action: 'SCMP_ACT_ERRNO' }] }), /unknown syscall "frobnicate"/],
    ['an unknown action', JSON.stringify({ defaultAction: 'SCMP_ACT_MAYBE', syscalls: [] }), /SCMP_ACT_MAYBE/],
  ])('refuses a profile that is %s: one line, nothing runs', (_what, text, message) => {
    const dir = tempDir();
    const file = path.join(dir, 'p.json');
    fs.writeFileSync(file, text);
    const r = box.run(['run', '--seccomp', file, '-v', `${dir}:/m`, testImage(), 'touch', '/m/ran']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(path.join(dir, 'ran'))).toBe(false);
  });
});
