import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { delegatedCgroup, type CgroupHost } from '../src/cgroup';
import { pastaStatus } from '../src/pasta';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minictl-nsproc-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('pastaStatus', () => {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const tun = path.join(dir, 'tun');
  fs.writeFileSync(tun, '');

  it('names the package when pasta is not on PATH', () => {
    expect(pastaStatus(path.join(dir, 'empty'), tun)).toEqual({ reason: 'pasta not found: install the "passt" package (apt-get install passt)' });
  });

  it('finds pasta and a usable tun device', () => {
    fs.writeFileSync(path.join(bin, 'pasta'), '');
    expect(pastaStatus(`/nonexistent:${bin}`, tun)).toEqual({ path: path.join(bin, 'pasta') });
  });

  it('says how to open /dev/net/tun when it is not usable', () => {
    const missing = path.join(dir, 'no-tun');
    expect(pastaStatus(bin, missing)).toEqual({
      reason: `${missing} is not usable by you: make it mode 0666 ("sudo chmod 0666 ${missing}"), as most distributions do`,
    });
  });
});

describe('delegatedCgroup', () => {
  const v2 = '30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n';
  const host = (over: Partial<CgroupHost>): CgroupHost => ({
    mountinfo: v2,
    selfCgroup: '0::/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope\n',
    writable: () => true,
    read: (p) => (p.endsWith('cgroup.subtree_control') || p.endsWith('cgroup.controllers') ? 'cpu memory pids\n' : undefined),
    ...over,
  });
  const parent = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice';

  it('uses the parent of the caller\'s own group when it is delegated with the controllers', () => {
    expect(delegatedCgroup(['memory', 'pids'], host({}))).toEqual({ parent });
  });

  it('explains a cgroup v1 host', () => {
    expect(delegatedCgroup(['memory'], host({ mountinfo: '25 1 0:22 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n' }))).toEqual({
      reason: 'there is no cgroup v2 hierarchy on this host (cgroup v1 only)',
    });
  });

  it('explains a subtree that is not delegated', () => {
    const r = delegatedCgroup(['pids'], host({ writable: () => false }));
    expect('reason' in r && r.reason).toMatch(new RegExp(`^${parent} is not delegated to you`));
  });

  it('names a controller that is not enabled', () => {
    const read = (p: string) => (p.endsWith('cgroup.controllers') ? 'cpu memory pids\n' : 'cpu pids\n');
    expect(delegatedCgroup(['memory', 'pids'], host({ read }))).toEqual({
      reason: `the memory controller is not enabled for ${parent} (cgroup.subtree_control)`,
    });
  });

  it('explains a hybrid layout whose cgroup v2 has no such controller, before delegation', () => {
    expect(delegatedCgroup(['memory'], host({ writable: () => false, read: () => 'hugetlb\n' }))).toEqual({
      reason: 'cgroup v2 here has no memory controller (a hybrid cgroup layout keeps them in v1: boot with systemd.unified_cgroup_hierarchy=1)',
    });
  });
});
