import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, Sandbox, tempDir, testImage, testProgram, waitFor } from '../support/harness';

const box = new Sandbox();
const MASKED = ['/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/proc/latency_stats', '/proc/interrupts', '/proc/kcore'];
const LAUNCHER = path.join(REPO, 'native', 'build', 'Release', 'minictl-launcher');

/** Run test/programs/escape.c inside a container; the program's one line of verdict. */
function escape(args: string[], runArgs: string[] = []): string {
  const prog = testProgram('escape');
  const r = box.run(['run', '-v', `${path.dirname(prog)}:/probe:ro`, ...runArgs, testImage(), '/probe/escape', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

const hash = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('escape suite: every attempt fails and the host is unchanged', () => {
  const hostMounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const launcherHash = hash(LAUNCHER);

  it('masked paths read empty; paths this kernel lacks are skipped', () => {
    const present = MASKED.filter((p) => fs.existsSync(p));
    expect(present.length).toBeGreaterThan(0);
    const out = box.sh(present.map((p) => `printf "%s " ${p}; wc -c < ${p}`).join('; '));
    for (const line of out.trim().split('\n')) expect(line, line).toMatch(/ 0$/);
    expect(box.sh('ls -A /sys/firmware | wc -l').trim()).toBe('0');
  });

  it('/proc/sys is read-only', () => {
    // net.ipv4.ip_forward belongs to the container's own network namespace and NET_ADMIN is
    // granted: only the read-only bind stands between it and a write (limits.test unmasks it).
    const r = box.run(['run', '--cap-add', 'NET_ADMIN', testImage(), 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo a=$?']);
    expect(r.stderr).toMatch(/ip_forward: Read-only file system/);
    expect(r.stdout).toContain('a=1');
  });

  it('a masked path cannot be mounted over or unmasked', () => {
    // /proc/interrupts is world-readable: were the mask gone, it would read non-empty.
    const r = box.run(['run', testImage(), 'sh', '-c', 'mount -t tmpfs none /proc/interrupts; echo m=$?; umount /proc/interrupts; echo u=$?; wc -c < /proc/interrupts']);
    expect(r.stdout.trim().split('\n')).toEqual(['m=1', 'u=1', '0']);
  });

  it('/proc/1/exe and /proc/self/exe cannot be written, and the launcher on disk is untouched', () => {
    const r = box.run(['run', testImage(), 'sh', '-c', 'readlink /proc/1/exe; echo x >> /proc/1/exe; echo a=$?; echo x >> /proc/self/exe; echo b=$?']);
    expect(r.stdout).toMatch(/^\/memfd:minictl-launcher/);
    expect(r.stdout).toContain('a=1');
    expect(r.stdout).toContain('b=1');
    expect(hash(LAUNCHER)).toBe(launcherHash);
  });

  it('a host fd handed to minictl does not reach the container', () => {
    const dir = fs.openSync('/etc', 'r');
    const prog = testProgram('escape');
    const r = spawnSync(CLI, ['run', '-v', `${path.dirname(prog)}:/probe:ro`, testImage(), '/probe/escape', 'reopen', '7', 'hostname'], {
      env: box.env,
      stdio: ['ignore', 'pipe', 'pipe', dir, dir, dir, dir, dir],
      encoding: 'utf8',
    });
    fs.closeSync(dir);
    expect(r.stdout.trim()).toBe('reopen ENOENT');
  });

  it('host processes can be neither signalled nor traced', () => {
    expect(escape(['kill', String(process.pid)])).toBe('kill ESRCH');
    expect(escape(['ptrace', String(process.pid)])).toBe('ptrace ESRCH');
  });

  it('the classic chroot escape stays inside the container', () => {
    const marker = tempDir('minictl-host-marker-');
    expect(escape(['chroot', marker])).toBe(`root same, ${marker} absent`);
  });

  it('a privileged port of the host cannot be bound, even with the host network', () => {
    const start = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    expect(start).toBeGreaterThan(80);
    expect(escape(['bind', '80'], ['--network', 'host'])).toBe('bind EACCES');
    // in its own network namespace the container may: that port is its own
    expect(escape(['bind', '80'])).toBe('bind ok');
  });

  it('the root cannot be remounted, and remounting inside never reaches the host', () => {
    const r = box.run(['run', testImage(), 'sh', '-c', 'mount -o remount,ro /; echo plain=$?']);
    expect(r.stdout).toContain('plain=1');
    // With CAP_SYS_ADMIN the container may remount its own root; the host's stays as it was.
    box.run(['run', '--cap-add', 'SYS_ADMIN', testImage(), 'sh', '-c', 'mount -o remount,ro /; mount -o remount,ro /proc']);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(hostMounts);
  });

  it('keystrokes cannot be pushed into the terminal minictl runs on (TIOCSTI)', async () => {
    // -T: the container shares the host's pty as stdin, the case the kernel rule is about.
    const prog = testProgram('sysprobe');
    const cmd = `${CLI} run -T -v ${path.dirname(prog)}:/probe:ro ${testImage()} /probe/sysprobe -1`;
    for (const extra of ['', '--seccomp unconfined']) {
      const child = spawn('script', ['-qfec', cmd.replace(' run ', ` run ${extra} `), '/dev/null'], { env: box.env });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise((r) => child.on('close', r));
      expect(out, extra || 'default').toMatch(/-1 EPERM/);
    }
  });

  it('leaves the host as it was: mounts, the launcher, no stray processes', async () => {
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(hostMounts);
    expect(hash(LAUNCHER)).toBe(launcherHash);
    await waitFor(() => !fs.readdirSync('/proc').some((p) => /^\d+$/.test(p) && readCmd(p).includes('/probe/')), 5000, 'no probe left');
  });
});

function readCmd(pid: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
