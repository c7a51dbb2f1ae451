import * as fs from 'node:fs';
import * as os from 'node:os';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '@minictl/rootfs';
import { describe, expect, it } from 'vitest';
import { Sandbox, testImage } from '../support/harness';

const box = new Sandbox();
const uid = process.getuid!();
const gid = process.getgid!();

describe('minictl run: identity and namespaces', () => {
  it('is root inside, mapped to the calling user only, with --userns root', () => {
    const out = box.sh('id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups', ['--userns', 'root']);
    const [u, g, uidMap, gidMap, setgroups] = out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(u).toBe('0');
    expect(g).toBe('0');
    expect(uidMap).toBe(`0 ${uid} 1`);
    expect(gidMap).toBe(`0 ${gid} 1`);
    expect(setgroups).toBe('deny');
  });

  it('runs in new user, mount, pid, uts, ipc and network namespaces', () => {
    const inside = box.sh('for n in user mnt pid uts ipc net; do readlink /proc/self/ns/$n; done').trim().split('\n');
    const host = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net'].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`));
    expect(inside).toHaveLength(6);
    inside.forEach((ns, i) => expect(ns).not.toBe(host[i]));
  });

  it('runs the command as pid 2 under init, or as pid 1 with --no-init', () => {
    expect(box.sh('echo $$').trim()).toBe('2');
    expect(box.sh('cat /proc/1/cmdline | tr "\\0" " "').trim()).not.toContain('sh -c');
    expect(box.sh('echo $$', ['--no-init']).trim()).toBe('1');
  });

  it('sees only its own processes', () => {
    const pids = box.sh('ls /proc | grep -E "^[0-9]+$"').trim().split('\n').map(Number);
    expect(Math.max(...pids)).toBeLessThan(10);
    expect(pids).toContain(1);
  });

  it('has its own hostname, the short container id by default, and leaves the host\'s alone', () => {
    const before = os.hostname();
    const name = box.sh('hostname').trim();
    expect(name).toMatch(/^[0-9a-f]{12}$/);
    expect(name).not.toBe(before);
    expect(box.sh('hostname; cat /proc/sys/kernel/hostname', ['--hostname', 'box1']).trim().split('\n')).toEqual(['box1', 'box1']);
    expect(box.sh('echo $HOSTNAME', ['--hostname', 'box2']).trim()).toBe('box2');
    expect(os.hostname()).toBe(before);
  });

  it('has only the loopback interface, and it is up', () => {
    const devs = box.sh('tail -n +3 /proc/net/dev | cut -d: -f1').trim().split('\n').map((s) => s.trim());
    expect(devs).toEqual(['lo']);
    const flags = Number(box.sh('cat /sys/class/net/lo/flags').trim());
    expect(flags & 0x1).toBe(1); // IFF_UP
  });

  it('shows no host mount: only the image root and the mounts minictl made', () => {
    const lines = box.sh('cat /proc/self/mountinfo').trim().split('\n');
    const points = lines.map((l) => l.split(' ')[4]).sort();
    const hidden = [...DEFAULT_MASKED_PATHS, ...DEFAULT_READONLY_PATHS].filter((p) => fs.existsSync(p));
    expect(points).toEqual(
      [
        '/', '/dev', '/dev/full', '/dev/mqueue', '/dev/null', '/dev/pts', '/dev/random', '/dev/shm', '/dev/tty', '/dev/urandom', '/dev/zero',
        '/proc', '/sys', '/tmp', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', ...hidden,
      ].sort(),
    );
    const root = lines.find((l) => l.split(' ')[4] === '/')!;
    expect(root).toContain(' - overlay ');
    expect(root).toContain('userxattr');
    const sys = lines.find((l) => l.split(' ')[4] === '/sys')!;
    expect(sys.split(' ')[5]).toMatch(/^ro,/);
  });

  it('never propagates its mounts to the host', () => {
    // Every mount is private: no peer group (shared:N) or master (master:N) links to the host.
    const optional = box.sh('cat /proc/self/mountinfo').trim().split('\n').map((l) => l.split(' - ')[0].split(' ').slice(6).join(' '));
    expect(optional.filter((o) => /shared:|master:/.test(o))).toEqual([]);
    const hostBefore = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    box.sh('mkdir -p /mnt/x && mount -t tmpfs none /mnt/x && grep -q /mnt/x /proc/self/mountinfo', ['--cap-add', 'SYS_ADMIN']);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(hostBefore);
  });

  it('builds /dev from host nodes, a private devpts and a tmpfs /dev/shm', () => {
    const out = box.sh('echo hi > /dev/null && head -c 3 /dev/zero | wc -c; ls /dev; readlink /dev/ptmx; ls /dev/pts');
    const [zeros, ...rest] = out.trim().split('\n');
    expect(zeros.trim()).toBe('3');
    expect(rest).toEqual(expect.arrayContaining(['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'ptmx', 'pts/ptmx']));
    // a new devpts instance holds only its ptmx until a terminal is opened
    expect(rest[rest.length - 1]).toBe('ptmx');
  });

  it('runs the same image twice at once, isolated', async () => {
    const a = box.spawn(['run', testImage(), 'sh', '-c', 'echo a > /shared; sleep 1; cat /shared; ls /proc | grep -c "^[0-9]"']);
    const b = box.spawn(['run', testImage(), 'sh', '-c', 'sleep 0.3; cat /shared 2>/dev/null || echo none; echo b > /shared']);
    const out = (p: typeof a) =>
      new Promise<string>((resolve) => {
        let s = '';
        p.stdout!.on('data', (d) => (s += d));
        p.on('close', () => resolve(s));
      });
    const [oa, ob] = await Promise.all([out(a), out(b)]);
    expect(ob.trim().split('\n')[0]).toBe('none');
    const [shared, procs] = oa.trim().split('\n');
    expect(shared).toBe('a');
    expect(Number(procs)).toBeLessThanOrEqual(4);
  });
});
