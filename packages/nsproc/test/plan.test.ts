import { CLONE, MOUNT_ATTR, MS, Op, encodePlan, type Step } from '@minictl/native';
import { describe, expect, it } from 'vitest';
import { cloneFlags, compilePlan, preludeSteps, type PlanContext } from '../src/plan';
import type { ContainerSpec, NamespaceType } from '../src/spec';
import { makeSpec } from './spec-factory';

const ctx: PlanContext = { scratch: '/data/mnt', isDirectory: () => true };
const ops = (steps: Step[]) => steps.map((s) => s.op);
const withNamespaces = (...types: NamespaceType[]) =>
  makeSpec((s) => (s.linux.namespaces = types.map((type) => ({ type }))));

describe('cloneFlags', () => {
  it('ORs the flag of every namespace', () => {
    expect(cloneFlags(withNamespaces('user', 'mount', 'pid', 'uts', 'ipc', 'network'))).toBe(0x7c020000);
  });

  it('maps each namespace to its CLONE_NEW* flag', () => {
    const expected: Record<NamespaceType, number> = {
      user: CLONE.NEWUSER,
      mount: CLONE.NEWNS,
      pid: CLONE.NEWPID,
      uts: CLONE.NEWUTS,
      ipc: CLONE.NEWIPC,
      network: CLONE.NEWNET,
      cgroup: CLONE.NEWCGROUP,
    };
    for (const [type, flag] of Object.entries(expected)) expect(cloneFlags(withNamespaces(type as NamespaceType))).toBe(flag);
  });
});

describe('compilePlan: CONFIG', () => {
  it('is the first step: clone flags for user|mount|pid|uts|ipc|net as an unsigned decimal, init on, no tty', () => {
    const steps = compilePlan(makeSpec(), ctx);
    expect(steps[0]).toEqual({ op: Op.CONFIG, args: ['2080505856', '1', '0'], what: 'configure the launcher' });
    expect(0x7c020000).toBe(2080505856);
  });

  it('adds the cgroup flag when asked', () => {
    const steps = compilePlan(withNamespaces('user', 'mount', 'pid', 'uts', 'ipc', 'network', 'cgroup'), ctx);
    expect(steps[0].args[0]).toBe(String(0x7e020000));
  });

  it('carries --no-init and a terminal', () => {
    const spec = makeSpec((s) => {
      s.minictl.init = false;
      s.process.terminal = true;
    });
    expect(compilePlan(spec, ctx)[0].args).toEqual(['2080505856', '0', '1']);
  });

  it('is the only CONFIG step', () => {
    expect(ops(compilePlan(makeSpec(), ctx)).filter((op) => op === Op.CONFIG)).toHaveLength(1);
  });
});

describe('preludeSteps: what the launcher gets before the plan', () => {
  it('are the steps the plan begins with: CONFIG, then the namespaces to join by path', () => {
    const spec = makeSpec((s) => {
      s.linux.namespaces = [{ type: 'user', path: '/proc/7/ns/user' }, { type: 'mount' }, { type: 'pid', path: '/proc/7/ns/pid' }];
      s.process.terminal = true;
    });
    const prelude = preludeSteps(spec);
    expect(ops(prelude)).toEqual([Op.CONFIG, Op.SETNS, Op.SETNS]);
    expect(prelude[0].args).toEqual([String(CLONE.NEWNS), '1', '1']);
    expect(compilePlan(spec, ctx).slice(0, prelude.length)).toEqual(prelude);
  });
});

describe('compilePlan: hostname and network', () => {
  it('sets the hostname with a uts namespace', () => {
    const steps = compilePlan(makeSpec((s) => (s.hostname = 'build-42')), ctx);
    expect(steps.filter((s) => s.op === Op.HOSTNAME)).toEqual([
      { op: Op.HOSTNAME, args: ['build-42'], what: 'set hostname build-42' },
    ]);
  });

  it('does not set the hostname without a uts namespace (it would be the host\'s)', () => {
    const steps = compilePlan(withNamespaces('user', 'mount', 'pid', 'ipc', 'network'), ctx);
    expect(ops(steps)).not.toContain(Op.HOSTNAME);
  });

  it('brings lo up with a network namespace', () => {
    const steps = compilePlan(makeSpec(), ctx);
    expect(steps.filter((s) => s.op === Op.LOUP)).toEqual([{ op: Op.LOUP, args: [], what: 'bring up lo' }]);
  });

  it('does not touch lo without a network namespace', () => {
    const steps = compilePlan(withNamespaces('user', 'mount', 'pid', 'uts', 'ipc'), ctx);
    expect(ops(steps)).not.toContain(Op.LOUP);
  });

  it('sets the hostname and brings lo up after pivot_root', () => {
    const o = ops(compilePlan(makeSpec(), ctx));
    expect(o.indexOf(Op.HOSTNAME)).toBeGreaterThan(o.indexOf(Op.PIVOT));
    expect(o.indexOf(Op.LOUP)).toBeGreaterThan(o.indexOf(Op.PIVOT));
  });

  it('mounts sysfs fresh with a network namespace, else binds /sys read-only', () => {
    const ro = String(MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC | MOUNT_ATTR.RDONLY);
    const fresh = compilePlan(makeSpec(), ctx).find((s) => s.args[0] === '1' && (s.op === Op.FSMOUNT || s.op === Op.CLONE));
    expect(fresh?.args).toEqual(['1', 'sysfs', ro, '/sys']);
    const bound = compilePlan(withNamespaces('user', 'mount', 'pid'), ctx).find(
      (s) => s.args[0] === '1' && (s.op === Op.FSMOUNT || s.op === Op.CLONE),
    );
    expect(bound?.args).toEqual(['1', '/sys', '1', ro]);
  });
});

describe('compilePlan: process steps', () => {
  const spec = makeSpec((s) => {
    s.process.cwd = '/work/src';
    s.process.env = ['PATH=/bin', 'A=1'];
    s.process.args = ['make', '-j4', 'all'];
  });
  const steps = compilePlan(spec, ctx);

  it('ends with ENV and ARGV, after the directory change and the credential steps', () => {
    expect(steps.slice(-2)).toEqual([
      { op: Op.ENV, args: ['PATH=/bin', 'A=1'], what: 'environment' },
      { op: Op.ARGV, args: ['make', '-j4', 'all'], what: 'execute make' },
    ]);
    const chdir = ops(steps).indexOf(Op.CHDIR);
    expect(steps[chdir]).toEqual({ op: Op.CHDIR, args: ['/work/src'], what: 'change directory to /work/src' });
    expect(ops(steps).indexOf(Op.SETRESUID)).toBeGreaterThan(chdir);
  });

  it('has exactly one CHDIR, ENV and ARGV', () => {
    for (const op of [Op.CHDIR, Op.ENV, Op.ARGV]) expect(ops(steps).filter((o) => o === op)).toHaveLength(1);
  });

  it('passes an empty environment as an ENV step without arguments', () => {
    const empty = compilePlan(makeSpec((s) => (s.process.env = [])), ctx);
    expect(empty.at(-2)).toEqual({ op: Op.ENV, args: [], what: 'environment' });
  });

  it('encodes for the launcher', () => {
    expect(encodePlan(steps).readUInt32LE(8)).toBe(steps.length);
  });
});

describe('compilePlan: mounts', () => {
  it('starts the mount steps right after CONFIG by making / private', () => {
    expect(compilePlan(makeSpec(), ctx)[1]).toMatchObject({ op: Op.MOUNT, args: ['', '/', '', String(MS.REC | MS.PRIVATE), ''] });
  });

  it('uses the scratch directory and the root path of the spec', () => {
    const steps = compilePlan(makeSpec(), ctx);
    const overlay = steps.find((s) => s.op === Op.FSMOUNT && s.args[1] === 'overlay');
    expect(overlay?.args.slice(4, 10)).toEqual([
      'lowerdir',
      '/data/images/abc/rootfs',
      'upperdir',
      '/data/mnt/upper',
      'workdir',
      '/data/mnt/work',
    ]);
    expect(steps.find((s) => s.op === Op.PIVOT)?.args).toEqual(['/data/mnt/root']);
  });

  it.each([
    ['bind', '0'],
    ['readonly', String(MOUNT_ATTR.RDONLY)],
  ] as const)('follows minictl.rootMode %s', (rootMode, attrs) => {
    const steps = compilePlan(makeSpec((s) => (s.minictl.rootMode = rootMode)), ctx);
    expect(steps.find((s) => s.op === Op.CLONE && s.args[0] === '63')?.args).toEqual(['63', '/data/images/abc/rootfs', '1', attrs]);
  });

  it('turns bind mounts into volumes: ro option, directory or file from isDirectory', () => {
    const spec: ContainerSpec = makeSpec((s) => {
      s.mounts = [
        { destination: '/src', type: 'bind', source: '/home/u/src', options: ['rbind', 'rw'] },
        { destination: '/etc/resolv.conf', type: 'bind', source: '/etc/resolv.conf', options: ['rbind', 'ro'] },
      ];
    });
    const asked: string[] = [];
    const steps = compilePlan(spec, { scratch: '/data/mnt', isDirectory: (p) => (asked.push(p), p === '/home/u/src') });
    expect(asked).toEqual(['/home/u/src', '/etc/resolv.conf']);
    const clones = steps.filter((s) => s.op === Op.CLONE && (s.args[1] === '/home/u/src' || s.args[1] === '/etc/resolv.conf'));
    expect(clones.map((s) => s.args)).toEqual([
      ['11', '/home/u/src', '1', '0'],
      ['12', '/etc/resolv.conf', '1', String(MOUNT_ATTR.RDONLY)],
    ]);
    const tail = steps.slice(steps.findIndex((s) => s.op === Op.ATTACH && s.args[0] === '11') - 1);
    expect(tail.slice(0, 5).map((s) => [s.op, ...s.args])).toEqual([
      [Op.MKDIR, '/src', '755'],
      [Op.ATTACH, '11', '/src'],
      [Op.MKDIR, '/etc', '755'],
      [Op.MKFILE, '/etc/resolv.conf'],
      [Op.ATTACH, '12', '/etc/resolv.conf'],
    ]);
  });
});
