import { closeSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { encodePlan, launcherPath, procAddon, type ExitStatus, type Step } from '@minictl/native';
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
  /** the launcher's pid */
  readonly launcher: number;
  private readonly ctl: Socket;
  private failure?: LaunchError;
  private failed?: { step: string; errno: string };
  /** the container's first process, as the host sees it */
  pid?: number;
  private readonly waiting = new Map<string, () => void>();
  private status?: number;
  private readonly onExit: ((status: number) => void)[] = [];

  /** stdio: the launcher's fds 0-2 (-1: /dev/null); its fd 3 is the control socket. */
  constructor(
    private readonly spec: ContainerSpec,
    private readonly steps: Step[],
    private readonly hooks: LaunchHooks,
    stdio: [number, number, number],
  ) {
    const plan = encodePlan(this.steps);
    const proc = procAddon();
    const [mine, theirs] = proc.socketpair();
    try {
      // Its own session: terminal signals reach minictl once, and minictl forwards them. A
      // sealed copy: the container's init (the launcher) shows no writable host file as
      // /proc/1/exe (CVE-2019-5736).
      this.launcher = proc.spawn(launcherPath(), ['minictl-init'], [...stdio, theirs], true, true);
    } catch (e) {
      closeSync(mine);
      const code = (e as NodeJS.ErrnoException).code;
      throw new LaunchError(`cannot run the launcher ${launcherPath()}: ${code}`, 'spawn launcher', code, 125);
    } finally {
      closeSync(theirs);
    }
    // Blocking, before the socket turns non-blocking: the launcher reads the plan first thing.
    writeSync(mine, plan);
    this.ctl = new Socket({ fd: mine, readable: true, writable: true });
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
    // The launcher, its init and nothing else hold the other end: it closes when they are gone.
    this.ctl.on('close', () => {
      this.status = exitCode(proc.wait(this.launcher, false)!);
      for (const f of this.onExit) f(this.status);
    });
  }

  /** Calls f with the launcher's exit status once it has exited. */
  private whenExited(f: (status: number) => void): void {
    if (this.status !== undefined) f(this.status);
    else this.onExit.push(f);
  }

  /** Passes a signal on to the launcher while it runs. */
  kill(signal: NodeJS.Signals): void {
    if (this.status === undefined) process.kill(this.launcher, signal);
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
      this.whenExited((status) => {
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
      this.whenExited((status) => reject(this.error(status) ?? new LaunchError('the launcher exited early', 'start', undefined, 125)));
    });
  }

  /** Let go: the launcher goes on supervising the container without Node. */
  release(): void {
    this.ctl.removeAllListeners('close');
    this.ctl.destroy();
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
  const session = new Session(spec, steps, hooks, [stdin === 'inherit' ? 0 : -1, 1, 2]);
  // A command that is pid 1 ignores signals it has no handler for: a second SIGINT or
  // SIGTERM to minictl ends the container for good (the launcher's death takes it down).
  let stops = 0;
  const forward = (sig: NodeJS.Signals) => {
    session.kill((sig === 'SIGINT' || sig === 'SIGTERM') && ++stops > 1 ? 'SIGKILL' : sig);
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
  const session = new Session(spec, steps, hooks, [-1, output, output]);
  await session.reached(spec.minictl.startGate ? 'READY' : 'STARTED');
  session.release();
  return { pid: session.pid!, launcherPid: session.launcher };
}

function oneLine(map: IdMap): string {
  return formatIdMap(map).trim().replace(/\n/g, ', ');
}

function toIdMap(m: ContainerSpec['linux']['uidMappings']): IdMap {
  return m.map((r) => ({ inside: r.containerID, outside: r.hostID, length: r.size }));
}

function exitCode(s: ExitStatus): number {
  return s.code ?? 128 + (s.signal ?? 0);
}

