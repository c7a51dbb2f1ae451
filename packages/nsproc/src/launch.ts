import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { encodePlan, launcherPath, type Step } from '@minictl/native';
import { formatIdMap, writeMaps, type IdMap } from '@minictl/idmap';
import { errnoName, LaunchError } from './errors';
import type { ContainerSpec } from './spec';

export interface LaunchHooks {
  /** a step fell back to a weaker mechanism (e.g. host /proc bound instead of a new one) */
  warn?: (step: Step, errno: string) => void;
  /** progress for the curious (`minictl unshare -v`) */
  trace?: (line: string) => void;
  /** runs once the namespaces exist and the maps are written, before anything in them runs
   * (cgroup placement, a user-mode network helper); resolves with the pids of host-side
   * helpers the launcher must stop when it exits; a rejection aborts the start */
  beforeStart?: (pid: number) => Promise<number[]>;
}

/** Signals minictl passes on to the container (the launcher hands them to init). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** One run of the launcher and the protocol on its control socket (launcher/main.c). */
class Session {
  readonly child: ChildProcess;
  private readonly ctl: Socket;
  private failure?: LaunchError;
  private failed?: { step: string; errno: string };
  /** the container's first process, as the host sees it */
  pid?: number;
  private readonly waiting = new Map<string, () => void>();

  constructor(
    private readonly spec: ContainerSpec,
    private readonly steps: Step[],
    private readonly hooks: LaunchHooks,
    stdio: StdioOptions,
  ) {
    // Its own session: terminal signals reach minictl once, and minictl forwards them.
    this.child = spawn(launcherPath(), [], { stdio, detached: true });
    this.ctl = this.child.stdio[3] as Socket;
    let buffered = '';
    this.ctl.setEncoding('utf8');
    this.ctl.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        this.message(buffered.slice(0, nl).split(' '));
        buffered = buffered.slice(nl + 1);
      }
    });
    this.ctl.on('error', () => {});
    this.child.on('error', (e: NodeJS.ErrnoException) => {
      this.failure ??= new LaunchError(`cannot run the launcher ${launcherPath()}: ${e.code}`, 'spawn launcher', e.code, 125);
    });
    this.ctl.write(encodePlan(steps));
  }

  private message([kind, a, b]: string[]): void {
    if (kind === 'PID') {
      this.pid = Number(a);
      this.hooks.trace?.(`child ${a} created in new namespaces; writing its id maps`);
      void this.prepare(this.pid);
    } else if (kind === 'WARN') this.hooks.warn?.(this.steps[Number(a)], errnoName(Number(b)));
    else if (kind === 'ERR') {
      const i = Number(a);
      const step =
        this.steps[i]?.what ??
        (i === -1
          ? 'create the namespaces (clone)'
          : i === -3
            ? 'hand the terminal to the console socket'
            : i === -4
              ? 'join a user or pid namespace given by path'
              : 'read the launch plan');
      this.failed ??= { step, errno: errnoName(Number(b)) };
    }
    this.waiting.get(kind)?.();
  }

  /** MAPS_PLS: write the id maps (a new user namespace only), run the hooks, then GO. */
  private async prepare(pid: number): Promise<void> {
    try {
      // Maps belong to a user namespace this launch creates, not to one it joins.
      if (this.spec.linux.namespaces.some((n) => n.type === 'user' && n.path === undefined) && !this.spec.minictl.join) {
        const uidMap = toIdMap(this.spec.linux.uidMappings);
        const gidMap = toIdMap(this.spec.linux.gidMappings);
        await writeMaps(pid, uidMap, gidMap, {
          useHelpers: this.spec.minictl.useIdHelpers,
          setgroups: this.spec.minictl.setgroups,
          projidMap: this.spec.minictl.projidMappings && toIdMap(this.spec.minictl.projidMappings),
        });
        this.hooks.trace?.(`uid_map: ${oneLine(uidMap)}; gid_map: ${oneLine(gidMap)}; setgroups: ${this.spec.minictl.setgroups}`);
      }
      const helpers = (await this.hooks.beforeStart?.(pid)) ?? [];
      this.ctl.write(helpers.map((h) => `HELPER ${h}\n`).join('') + 'GO\n');
    } catch (e) {
      const err = e as Error & { step?: string; errno?: string };
      this.failure ??= new LaunchError(err.message, err.step ?? 'write id maps', err.errno, 125);
      this.ctl.write('NO\n');
    }
  }

  /** Resolves with the launcher's exit status; rejects with the failure that caused it. */
  exited(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.child.on('close', (code, signal) => {
        const status = code ?? 128 + signalNumber(signal);
        const error = this.error(status);
        if (error) reject(error);
        else resolve(status);
      });
    });
  }

  /** Resolves when the launcher says `kind` (STARTED, READY); rejects if it exits first. */
  reached(kind: 'STARTED' | 'READY'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.set(kind, () => (this.failed ? undefined : resolve()));
      this.child.on('close', (code, signal) => reject(this.error(code ?? 128 + signalNumber(signal)) ?? new LaunchError('the launcher exited early', 'start', undefined, 125)));
    });
  }

  /** Let go: the launcher goes on supervising the container without Node. */
  release(): void {
    this.ctl.destroy();
    this.child.unref();
  }

  private error(status: number): LaunchError | undefined {
    if (this.failed) this.failure ??= new LaunchError(`${this.failed.step}: ${this.failed.errno}`, this.failed.step, this.failed.errno, status);
    return this.failure;
  }
}

/**
 * Start the container described by spec + steps and wait for it. Resolves with the
 * container's exit status; rejects with LaunchError when it could not be started.
 */
export async function launch(
  spec: ContainerSpec,
  steps: Step[],
  hooks: LaunchHooks = {},
  stdin: 'inherit' | 'ignore' = 'inherit',
): Promise<number> {
  const session = new Session(spec, steps, hooks, [stdin, 'inherit', 'inherit', 'pipe']);
  // A command that is pid 1 ignores signals it has no handler for: a second SIGINT or
  // SIGTERM to minictl ends the container for good (the launcher's death takes it down).
  let stops = 0;
  const forward = (sig: NodeJS.Signals) => {
    if ((sig === 'SIGINT' || sig === 'SIGTERM') && ++stops > 1) session.child.kill('SIGKILL');
    else session.child.kill(sig);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await session.exited();
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

export interface Detached {
  /** the container's first process (its init), as the host sees it */
  pid: number;
  /** the launcher that supervises it */
  launcherPid: number;
}

/**
 * Start a container that outlives minictl: its output goes to `output` (an open fd), the
 * launcher supervises it and records its exit status (minictl.detached.exitFile). Resolves
 * once the command runs (STARTED), or, with a start gate, once it waits for `start` (READY).
 */
export async function launchDetached(spec: ContainerSpec, steps: Step[], output: number, hooks: LaunchHooks = {}): Promise<Detached> {
  const session = new Session(spec, steps, hooks, ['ignore', output, output, 'pipe']);
  await session.reached(spec.minictl.startGate ? 'READY' : 'STARTED');
  session.release();
  return { pid: session.pid!, launcherPid: session.child.pid! };
}

function oneLine(map: IdMap): string {
  return formatIdMap(map).trim().replace(/\n/g, ', ');
}

function toIdMap(m: ContainerSpec['linux']['uidMappings']): IdMap {
  return m.map((r) => ({ inside: r.containerID, outside: r.hostID, length: r.size }));
}

function signalNumber(signal: NodeJS.Signals | null): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return signal ? ((require('node:os') as typeof import('node:os')).constants.signals[signal] ?? 0) : 0;
}

