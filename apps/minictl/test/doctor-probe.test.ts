import * as fs from 'node:fs';
import * as os from 'node:os';
import { CLONE, Op } from '@minictl/native';
import { LaunchError } from '@minictl/nsproc';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/doctor/checks';
import { cgroupFactsFrom, classifyLaunchError, freeSubId, gatherFacts, parseMountInfo, probePlan } from '../src/doctor/probe';

const PURE_V2 = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
].join('\n');

const HYBRID = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory',
].join('\n');

const V1_ONLY = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '33 22 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory',
].join('\n');

const SCOPE = '/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope';

describe('cgroup facts', () => {
  it('parses mountinfo, unescaping paths', () => {
    expect(parseMountInfo('40 22 0:50 / /mnt/with\\040space rw shared:20 - tmpfs tmpfs rw')).toEqual([
      { root: '/', mountPoint: '/mnt/with space', fstype: 'tmpfs' },
    ]);
  });

  it('finds the delegated v2 cgroup of this process', () => {
    const writable = new Set([`/sys/fs/cgroup${SCOPE}`, `/sys/fs/cgroup${SCOPE}/cgroup.subtree_control`]);
    const facts = cgroupFactsFrom(PURE_V2, `0::${SCOPE}\n`, (p) => writable.has(p), (p) =>
      p === `/sys/fs/cgroup${SCOPE}/cgroup.controllers` ? 'cpu io memory pids\n' : undefined,
    );
    expect(facts).toEqual({
      v2: true,
      v1: false,
      mountPoint: '/sys/fs/cgroup',
      dir: `/sys/fs/cgroup${SCOPE}`,
      writable: true,
      subtreeControlWritable: true,
      controllers: ['cpu', 'io', 'memory', 'pids'],
    });
  });

  it('sees v2 without delegation', () => {
    const facts = cgroupFactsFrom(PURE_V2, '0::/user.slice/user-1000.slice/session-2.scope\n', () => false, () => 'cpu memory pids');
    expect(facts).toMatchObject({ v2: true, writable: false, subtreeControlWritable: false });
  });

  it('sees the hybrid layout and v1 only', () => {
    expect(cgroupFactsFrom(HYBRID, '4:memory:/x\n0::/\n', () => true, () => '')).toMatchObject({
      v2: true,
      v1: true,
      mountPoint: '/sys/fs/cgroup/unified',
      dir: '/sys/fs/cgroup/unified',
      controllers: [],
    });
    expect(cgroupFactsFrom(V1_ONLY, '4:memory:/x\n', () => true, () => '')).toEqual({
      v2: false,
      v1: true,
      writable: false,
      subtreeControlWritable: false,
      controllers: [],
    });
  });
});

describe('free subordinate ids', () => {
  it('starts after every granted range, at 100000 at least', () => {
    const files: Record<string, string> = {
      '/etc/subuid': 'minitest:100000:65536\n# comment\nbob:165536:65536\n',
      '/etc/subgid': 'minitest:100000:65536\ncarol:300000:1000\n',
    };
    expect(freeSubId(['/etc/subuid', '/etc/subgid'], (f) => files[f])).toBe(301000);
    expect(freeSubId(['/nope'], () => { throw new Error('ENOENT'); })).toBe(100000);
  });
});

describe('the namespace + overlay test plan', () => {
  const steps = probePlan('/tmp/minictl-doctor-x');

  it('creates a user and a mount namespace only, and ends with /bin/true', () => {
    expect(steps[0]).toMatchObject({ op: Op.CONFIG, args: [String(CLONE.NEWUSER | CLONE.NEWNS), '0', '0'] });
    expect(steps.map((s) => s.op)).toEqual([Op.CONFIG, Op.MOUNT, Op.MOUNT, Op.MKDIR, Op.MKDIR, Op.MKDIR, Op.MKDIR, Op.FSMOUNT, Op.ATTACH, Op.ARGV]);
    expect(steps.at(-1)!.args).toEqual(['/bin/true']);
  });

  it('mounts overlay with userxattr and no fallback', () => {
    const ov = steps.find((s) => s.op === Op.FSMOUNT)!;
    expect(ov.args).toEqual([
      '0', 'overlay', '0', '',
      'lowerdir', '/tmp/minictl-doctor-x/lower',
      'upperdir', '/tmp/minictl-doctor-x/upper',
      'workdir', '/tmp/minictl-doctor-x/work',
      'userxattr', '',
    ]);
    expect(steps.find((s) => s.op === Op.ATTACH)!.args).toEqual(['0', '/tmp/minictl-doctor-x/merged']);
  });

  it('classifies a failed launch by its step', () => {
    const err = (step: string, errno: string) => new LaunchError(`${step}: ${errno}`, step, errno, 125);
    expect(classifyLaunchError(err('create the namespaces (clone)', 'EPERM'), steps)).toEqual({
      result: 'failed', stage: 'userns', step: 'create the namespaces (clone)', errno: 'EPERM',
    });
    expect(classifyLaunchError(err('write /proc/7/uid_map', 'EPERM'), steps)).toMatchObject({ stage: 'userns' });
    expect(classifyLaunchError(err('mount overlay (userxattr)', 'EINVAL'), steps)).toMatchObject({ stage: 'overlay', errno: 'EINVAL' });
    expect(classifyLaunchError(err('attach overlay on /tmp/minictl-doctor-x/merged', 'EPERM'), steps)).toMatchObject({ stage: 'overlay' });
    expect(classifyLaunchError(err('make / recursively private', 'EPERM'), steps)).toMatchObject({ stage: 'setup' });
    expect(classifyLaunchError(err('execute /bin/true', 'EINVAL'), steps)).toMatchObject({ stage: 'exec' });
    expect(classifyLaunchError(err('spawn launcher', 'ENOENT'), steps)).toMatchObject({ result: 'not-run', errno: 'ENOENT' });
  });
});

describe('the real host', () => {
  it('gathers every fact, and user namespaces work on this machine', async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('minictl-doctor-')).length;
    const f = await gatherFacts();
    expect(f.kernel).toBe(os.release());
    expect(f.user.uid).toBe(process.getuid!());
    expect(f.launcher).toMatch(/minictl-launcher$/);
    expect(typeof f.helpers.newuidmap.usable).toBe('boolean');
    expect(Array.isArray(f.subuid.ranges) && Array.isArray(f.subgid.ranges)).toBe(true);
    expect(f.freeSubId).toBeGreaterThanOrEqual(100000);
    expect(f.pasta === undefined || f.pasta.endsWith('/pasta')).toBe(true);
    expect(typeof f.tun.exists).toBe('boolean');
    expect(typeof f.cgroup.v2).toBe('boolean');
    expect(['ok', 'failed']).toContain(f.probe.result);

    const checks = runChecks(f);
    expect(checks.map((c) => c.id)).toEqual(['kernel', 'user', 'userns', 'newuidmap', 'newgidmap', 'subuid', 'overlay', 'pasta', 'tun', 'cgroup']);
    for (const c of checks) expect(['ok', 'warn', 'fail']).toContain(c.status);
    expect(checks.find((c) => c.id === 'userns')).toMatchObject({ status: 'ok' });
    // The test container's directory is gone again.
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('minictl-doctor-')).length).toBe(before);
  });
});
