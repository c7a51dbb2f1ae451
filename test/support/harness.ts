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

/** A scratch directory removed when the process exits. */
export function tempDir(prefix = 'minictl-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
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

  spawn(args: string[], opts: { stdio?: ('pipe' | 'ignore' | 'inherit' | number)[] } = {}): ChildProcess {
    return spawn(CLI, args, { env: this.env, stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'] });
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

/** Wait until predicate() holds, polling; throws after timeoutMs. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Host processes of this user whose command line contains marker. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker)) found.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A field of /proc/self/status text, e.g. status(text, 'CapEff'). */
export function statusField(text: string, field: string): string {
  const m = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${field} in status`);
  return m[1].trim();
}
