import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateSpec } from '@minictl/nsproc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/run/parse';
import { DEFAULT_PATH, specFromOptions, type RunOptions, type SpecInputs } from '../src/run/spec-from-options';

const ID = '0123456789abcdef0123456789abcdef';

function inputs(opts: Partial<RunOptions> = {}, over: Partial<SpecInputs> = {}): SpecInputs {
  return {
    id: ID,
    rootfs: '/data/images/abc/rootfs',
    rootMode: 'overlay',
    args: ['/bin/sh', '-c', 'true'],
    opts: { env: [], envFile: [], volume: [], init: true, ...opts },
    terminal: false,
    uid: 1000,
    gid: 1001,
    hostEnv: {},
    ...over,
  };
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

let base: string;
beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'minictl-spec-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function envFile(name: string, text: string): string {
  const file = path.join(base, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('specFromOptions: environment', () => {
  it('defaults to PATH, HOME and HOSTNAME', () => {
    expect(specFromOptions(inputs()).process.env).toEqual([`PATH=${DEFAULT_PATH}`, 'HOME=/root', 'HOSTNAME=0123456789ab']);
    expect(DEFAULT_PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it("adds TERM from the host with a terminal", () => {
    const spec = specFromOptions(inputs({}, { terminal: true, hostEnv: { TERM: 'screen-256color' } }));
    expect(spec.process.env).toEqual([`PATH=${DEFAULT_PATH}`, 'HOME=/root', 'HOSTNAME=0123456789ab', 'TERM=screen-256color']);
  });

  it('uses TERM=xterm with a terminal when the host has no TERM', () => {
    expect(specFromOptions(inputs({}, { terminal: true })).process.env).toContain('TERM=xterm');
  });

  it('sets no TERM without a terminal, even if the host has one', () => {
    const env = specFromOptions(inputs({}, { hostEnv: { TERM: 'xterm' } })).process.env;
    expect(env.some((e) => e.startsWith('TERM='))).toBe(false);
  });

  it('lets -e override --env-file, and --env-file override the defaults, keeping the first position', () => {
    const file = envFile('precedence.env', 'HOME=/from-file\nA=file\nB=file\n');
    const env = specFromOptions(inputs({ envFile: [file], env: ['A=flag', 'PATH=/flag/bin', 'C=flag'] })).process.env;
    expect(env).toEqual(['PATH=/flag/bin', 'HOME=/from-file', 'HOSTNAME=0123456789ab', 'A=flag', 'B=file', 'C=flag']);
  });

  it('lets a later --env-file override an earlier one', () => {
    const one = envFile('one.env', 'A=1\nB=1\n');
    const two = envFile('two.env', 'B=2\n');
    expect(specFromOptions(inputs({ envFile: [one, two] })).process.env.slice(3)).toEqual(['A=1', 'B=2']);
  });

  it('passes -e KEY through from the host environment and drops unknown keys', () => {
    const env = specFromOptions(inputs({ env: ['USER', 'NOT_SET'] }, { hostEnv: { USER: 'alice' } })).process.env;
    expect(env.slice(3)).toEqual(['USER=alice']);
  });

  it('refuses an unreadable env file', () => {
    const missing = path.join(base, 'missing.env');
    expect(usageError(() => specFromOptions(inputs({ envFile: [missing] }))).message).toBe(`cannot read env file ${missing}: ENOENT`);
  });

  it('refuses a bad -e', () => {
    expect(usageError(() => specFromOptions(inputs({ env: ['=x'] }))).message).toBe(
      'invalid environment variable "=x": expected KEY=VALUE',
    );
  });
});

describe('specFromOptions: hostname, workdir, volumes', () => {
  it('defaults the hostname to the first 12 characters of the id', () => {
    const spec = specFromOptions(inputs());
    expect(spec.hostname).toBe('0123456789ab');
  });

  it('uses --hostname for the host name and HOSTNAME', () => {
    const spec = specFromOptions(inputs({ hostname: 'builder' }));
    expect(spec.hostname).toBe('builder');
    expect(spec.process.env).toContain('HOSTNAME=builder');
  });

  it('works in / by default', () => {
    expect(specFromOptions(inputs()).process.cwd).toBe('/');
  });

  it('uses an absolute --workdir', () => {
    expect(specFromOptions(inputs({ workdir: '/src/app' })).process.cwd).toBe('/src/app');
  });

  it('refuses a relative --workdir', () => {
    expect(usageError(() => specFromOptions(inputs({ workdir: 'src' }))).message).toBe(
      '--workdir must be an absolute path inside the container, got "src"',
    );
  });

  it('turns -v into bind mounts in order', () => {
    const a = path.join(base, 'va');
    const b = path.join(base, 'vb');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    expect(specFromOptions(inputs({ volume: [`${a}:/a`, `${b}:/b:ro`] })).mounts).toEqual([
      { destination: '/a', type: 'bind', source: a, options: ['rbind', 'rw'] },
      { destination: '/b', type: 'bind', source: b, options: ['rbind', 'ro'] },
    ]);
  });
});

describe('specFromOptions: namespaces, ids, root', () => {
  it('asks for user, mount, pid, uts, ipc and network namespaces', () => {
    expect(specFromOptions(inputs()).linux.namespaces).toEqual(
      ['user', 'mount', 'pid', 'uts', 'ipc', 'network'].map((type) => ({ type })),
    );
  });

  it('maps container root to the caller: one uid and one gid', () => {
    const { linux } = specFromOptions(inputs({}, { uid: 1234, gid: 5678 }));
    expect(linux.uidMappings).toEqual([{ containerID: 0, hostID: 1234, size: 1 }]);
    expect(linux.gidMappings).toEqual([{ containerID: 0, hostID: 5678, size: 1 }]);
  });

  it('runs the command as root in the container with no_new_privs', () => {
    const proc = specFromOptions(inputs()).process;
    expect(proc.user).toEqual({ uid: 0, gid: 0 });
    expect(proc.noNewPrivileges).toBe(true);
    expect(proc.args).toEqual(['/bin/sh', '-c', 'true']);
    expect(proc.terminal).toBe(false);
  });

  it('carries the root mode, init and single-map settings', () => {
    const spec = specFromOptions(inputs({ init: false }, { rootMode: 'bind' }));
    expect(spec.root).toEqual({ path: '/data/images/abc/rootfs', readonly: false });
    expect(spec.minictl).toEqual({ init: false, rootMode: 'bind', setgroups: 'deny', useIdHelpers: false });
  });

  it('marks the root read-only in readonly mode', () => {
    const spec = specFromOptions(inputs({}, { rootMode: 'readonly' }));
    expect(spec.root.readonly).toBe(true);
    expect(spec.minictl.rootMode).toBe('readonly');
  });

  it('builds a spec that validates', () => {
    const spec = specFromOptions(inputs({ env: ['A=1'], workdir: '/tmp' }, { terminal: true }));
    expect(validateSpec(spec)).toBe(spec);
  });
});
