/**
 * Shared helpers of the end-to-end suite: the built CLI, a private image store per test file,
 * and the test image. Every test here drives real namespaces, so the suite refuses to run as
 * root: a rootless runtime proven only as root proves nothing (test/run-e2e.sh drops to an
 * unprivileged user).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

if (process.getuid?.() === 0) {
  throw new Error('the end-to-end tests must run as an unprivileged user: use "bash test/run-e2e.sh" (it creates one)');
}

export const REPO = path.resolve(__dirname, '..', '..');
export const CLI = path.join(REPO, 'apps', 'minictl', 'bin', 'minictl');

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const scratch: string[] = [];
process.on('exit', () => {
  for (const dir of scratch) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // a test that left files owned by subordinate ids cleans them up itself
    }
  }
});

/** A scratch directory removed when the process exits. */
export function tempDir(prefix = 'minictl-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** An isolated minictl store ($XDG_DATA_HOME) and the environment that selects it. */
export class Sandbox {
  readonly data = tempDir('minictl-data-');
  readonly env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: this.data };

  get imagesDir(): string {
    return path.join(this.data, 'minictl', 'images');
  }

  /** Cached images (excluding in-progress temporary trees). */
  images(): string[] {
    return fs.existsSync(this.imagesDir) ? fs.readdirSync(this.imagesDir) : [];
  }

  /** Every unpacked tree: images/<digest>/rootfs (own ids) or rootfs-<mapping> (a range). */
  trees(): string[] {
    return this.images().flatMap((d) =>
      fs.readdirSync(path.join(this.imagesDir, d)).filter((t) => t.startsWith('rootfs')).map((t) => path.join(this.imagesDir, d, t)),
    );
  }

  run(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Result {
    const r = spawnSync(CLI, args, {
      env: { ...this.env, ...opts.env },
      input: opts.input ?? '',
      cwd: opts.cwd,
      timeout: opts.timeout ?? 30_000,
      encoding: 'utf8',
    });
    if (r.error) throw r.error;
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  /** Run a shell script in a container of the test image; fails the test unless it exits 0. */
  sh(script: string, extra: string[] = []): string {
    const r = this.run(['run', ...extra, testImage(), 'sh', '-c', script]);
    if (r.status !== 0) throw new Error(`container exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  spawn(args: string[], opts: { stdio?: ('pipe' | 'ignore' | 'inherit' | number)[]; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    return spawn(CLI, args, { env: { ...this.env, ...opts.env }, stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'] });
  }
}

let image: string | undefined;
/** The busybox test image, built once per test process by the project's own script. */
export function testImage(): string {
  if (!image) {
    const out = path.join(tempDir('minictl-image-'), 'busybox.tar.gz');
    execFileSync('bash', [path.join(REPO, 'scripts', 'make-image.sh'), out]);
    image = out;
  }
  return image;
}

const programs = new Map<string, string>();
/** A test program from test/programs, compiled static (it runs inside busybox images), in a
 * directory of its own that containers can bind. */
export function testProgram(name: 'capprobe' | 'sysprobe' | 'escape' | 'recvtty'): string {
  let out = programs.get(name);
  if (!out) {
    const dir = tempDir(`minictl-${name}-`);
    fs.chmodSync(dir, 0o755);
    out = path.join(dir, name);
    execFileSync('gcc', ['-static', '-O2', '-o', out, path.join(REPO, 'test', 'programs', `${name}.c`)]);
    programs.set(name, out);
  }
  return out;
}

/** This user's first subordinate range, as /etc/subuid (or subgid) grants it. */
export function subRange(kind: 'uid' | 'gid'): { start: number; count: number } {
  const me = os.userInfo();
  for (const line of fs.readFileSync(`/etc/sub${kind}`, 'utf8').split('\n')) {
    const [owner, start, count] = line.split(':');
    if (owner === me.username || owner === String(me.uid)) return { start: Number(start), count: Number(count) };
  }
  throw new Error(`the test user has no /etc/sub${kind} range: run the suite through test/run-e2e.sh`);
}

/**
 * An image whose files have several owners (built with GNU tar's --owner/--group, no root
 * needed): /etc/shadow 0:42, /home/u 1000:1000, a user "u" in groups u and staff.
 */
export function ownedImage(): string {
  const dir = tempDir('minictl-owned-');
  const root = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'home/u', 'tmp']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'ls', 'stat', 'id', 'su', 'cat', 'touch', 'echo', 'chown', 'grep'])
    fs.symlinkSync('busybox', path.join(root, 'bin', a));
  fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nu:x:1000:1000:u:/home/u:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nshadow:x:42:\nstaff:x:50:u\nu:x:1000:\n');
  fs.writeFileSync(path.join(root, 'etc', 'shadow'), 'root:*:1::::::\n');
  fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o640);
  const out = path.join(dir, 'owned.tar');
  const tar = (args: string[]) => execFileSync('tar', ['--numeric-owner', ...args]);
  tar(['-C', root, '--owner=0', '--group=0', '--exclude=./etc/shadow', '--exclude=./home/u', '-cf', out, '.']);
  tar(['-C', root, '--owner=0', '--group=42', '-rf', out, './etc/shadow']);
  tar(['-C', root, '--owner=1000', '--group=1000', '-rf', out, './home/u']);
  return out;
}

/** Wait until predicate() holds, polling; throws after timeoutMs. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Host processes (other than this one) whose /proc/PID/FILE, NUL-separated, holds entry. */
function processesWhose(file: 'cmdline' | 'environ', entry: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').includes(entry)) found.push(Number(pid));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Host processes of this user whose command line contains marker. */
export function processesWith(marker: string): number[] {
  return processesWhose('cmdline', marker);
}

/** Processes whose environment holds entry (KEY=VALUE): what a run that was given it left. */
export function processesWithEnv(entry: string): number[] {
  return processesWhose('environ', entry);
}

/** A field of /proc/self/status text, e.g. status(text, 'CapEff'). */
export function statusField(text: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${field} in status`);
  return m[1].trim();
}
