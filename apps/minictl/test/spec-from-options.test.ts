import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { preludeSteps, validateSpec } from '@minictl/nsproc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/run/parse';
import type { ResolvedIdentity } from '../src/identity/resolve';
import { DEFAULT_PATH, preludeFromOptions, specFromOptions, type RunOptions, type SpecInputs } from '../src/run/spec-from-options';
import { expectThrown } from '../../../test/support/expect-thrown';

const ID = '0123456789abcdef0123456789abcdef';

function inputs(opts: Partial<RunOptions> = {}, over: Partial<SpecInputs> = {}): SpecInputs {
  return {
    id: ID,
    rootfs: '/data/images/abc/rootfs',
    rootMode: 'overlay',
    args: ['/bin/sh', '-c', 'true'],
    opts: { env: [], envFile: [], volume: [], init: true, capAdd: [], capDrop: [], newPrivs: true, ...opts },
    terminal: false,
    identity: selfIdentity(1000, 1001),
    hostEnv: {},
    ...over,
  };
}

function selfIdentity(uid: number, gid: number): ResolvedIdentity {
  return {
    uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
    gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    useIdHelpers: false,
    setgroups: 'deny',
  };
}

const usageError = (fn: () => unknown): UsageError => expectThrown(UsageError, fn);

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

  it('agrees with the prelude run starts the launcher with, from the options alone', () => {
    for (const network of ['none', 'host', 'pasta'])
      for (const init of [true, false])
        for (const terminal of [true, false]) {
          const spec = specFromOptions(inputs({ network, init }, { terminal }));
          expect(preludeSteps(preludeFromOptions({ network, init }, terminal))).toEqual(preludeSteps(spec));
        }
    expect(preludeFromOptions({ network: 'host', init: true }, false).linux.namespaces).not.toContainEqual({ type: 'network' });
  });

  it('takes the id maps, setgroups and the helper choice from the resolved identity', () => {
    const identity: ResolvedIdentity = {
      uidMappings: [{ containerID: 0, hostID: 1234, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 5678, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
      useIdHelpers: true,
      setgroups: 'allow',
    };
    const spec = specFromOptions(inputs({}, { identity }));
    expect(spec.linux.uidMappings).toEqual(identity.uidMappings);
    expect(spec.linux.gidMappings).toEqual(identity.gidMappings);
    expect(spec.minictl.useIdHelpers).toBe(true);
    expect(spec.minictl.setgroups).toBe('allow');
  });

  it('runs the command as root in the container with no_new_privs', () => {
    const proc = specFromOptions(inputs()).process;
    expect(proc.user).toEqual({ uid: 0, gid: 0, additionalGids: [] });
    expect(proc.noNewPrivileges).toBe(true);
    expect(proc.args).toEqual(['/bin/sh', '-c', 'true']);
    expect(proc.terminal).toBe(false);
  });

  it('carries the root mode, init and single-map settings', () => {
    const spec = specFromOptions(inputs({ init: false }, { rootMode: 'bind' }));
    expect(spec.root).toEqual({ path: '/data/images/abc/rootfs', readonly: false });
    expect(spec.minictl).toEqual({ init: false, rootMode: 'bind', setgroups: 'deny', useIdHelpers: false, securebits: undefined, etc: expect.any(Object), network: 'none', publish: [] });
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

describe('specFromOptions: privileges', () => {
  const DOCKER_DEFAULT = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
  ].sort();

  it("gives root Docker's default set in bounding, permitted and effective, nothing inheritable or ambient", () => {
    const caps = specFromOptions(inputs()).process.capabilities!;
    for (const set of [caps.bounding, caps.permitted, caps.effective]) expect([...set].sort()).toEqual(DOCKER_DEFAULT);
    expect(caps.inheritable).toEqual([]);
    expect(caps.ambient).toEqual([]);
  });

  it('applies --cap-drop ALL and --cap-add', () => {
    expect(specFromOptions(inputs({ capDrop: ['ALL'] })).process.capabilities!.bounding).toEqual([]);
    const caps = specFromOptions(inputs({ capDrop: ['ALL'], capAdd: ['sys_admin'] })).process.capabilities!;
    expect(caps.bounding).toEqual(['CAP_SYS_ADMIN']);
    expect(caps.effective).toEqual(['CAP_SYS_ADMIN']);
  });

  it('gives a non-root --user no capabilities but keeps the bounding set', () => {
    const user = { uid: 1000, gid: 1000, additionalGids: [], home: '/home/u' };
    const spec = specFromOptions(inputs({}, { user }));
    const caps = spec.process.capabilities!;
    expect(caps.permitted).toEqual([]);
    expect(caps.effective).toEqual([]);
    expect([...caps.bounding].sort()).toEqual(DOCKER_DEFAULT);
    expect(spec.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [] });
    expect(spec.process.env).toContain('HOME=/home/u');
  });

  it('parses --securebits and --no-new-privs', () => {
    expect(specFromOptions(inputs({ securebits: 'rR' })).minictl.securebits).toBe(3);
    expect(specFromOptions(inputs({ newPrivs: 'false' })).process.noNewPrivileges).toBe(false);
    expect(specFromOptions(inputs({ newPrivs: 'true' })).process.noNewPrivileges).toBe(true);
    expect(usageError(() => specFromOptions(inputs({ newPrivs: 'maybe' }))).message).toBe('--no-new-privs takes true or false, got "maybe"');
  });
});
