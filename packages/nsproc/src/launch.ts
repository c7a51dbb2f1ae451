import { closeSync, readSync, writeSync } from 'node:fs';
import { encodePlan, launcherPath, procAddon, signalName, type ExitStatus, type SpawnBatch, type Step } from '@minictl/native';
import { formatIdMap, startMaps, type IdMap, type MapsInProgress } from '@minictl/idmap';
import { errnoName, LaunchError } from './errors';
import { preludeSteps, type PreludeSpec } from './plan';
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

/** What the launcher was doing when it reports a negative step (launcher/main.c). */
const LAUNCHER_STEPS: Record<number, string> = {
  [-1]: 'create the namespaces (clone)',
  [-3]: 'hand the terminal to the console socket',
  [-4]: 'join a user or pid namespace given by path',
};

/** Signals minictl passes on to the container (the launcher hands them to init). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** A launcher process, waiting for its prelude, and minictl's end of its control socket. */
interface SpawnedLauncher {
  pid: number;
  fd: number;
}

/**
 * The launcher's request: its stdin is minictl's or /dev/null, its stdout and stderr the fds
 * given; its fd 3 is the control socket. Its own session: terminal signals reach minictl
 * once, and minictl forwards them. A sealed copy: the container's init (the launcher) shows
 * no writable host file as /proc/1/exe (CVE-2019-5736).
 */
function launcherRequest(stdin: 'inherit' | 'ignore', stdout: number, stderr: number, socket: number): [string, string[], number[], boolean, boolean] {
  return [launcherPath(), ['minictl-init'], [stdin === 'inherit' ? 0 : -1, stdout, stderr, socket], true, true];
}

/** Starts the launcher (launcherRequest). */
function spawnLauncher(stdin: 'inherit' | 'ignore', stdout = 1, stderr = 2): SpawnedLauncher {
  const proc = procAddon();
  const [mine, theirs] = proc.socketpair();
  try {
    return { pid: proc.spawn(...launcherRequest(stdin, stdout, stderr, theirs)), fd: mine };
  } catch (e) {
    closeSync(mine);
    const code = (e as NodeJS.ErrnoException).code;
    throw new LaunchError(`cannot run the launcher ${launcherPath()}: ${code}`, 'spawn launcher', code, 125);
  } finally {
    closeSync(theirs);
  }
}

/** The launcher startLauncherEarly is starting, until prelaunch takes it or endEarlyLauncher ends it. */
let early: { batch: SpawnBatch; fd: number } | undefined;

/**
 * Starts the launcher of a foreground run (stdio inherited) before anything of the run is
 * known, even its options, from a background thread: it loads and waits for its prelude
 * while they are parsed, and prelaunch takes it (~0.5 ms sooner to the container's pid, and to
 * the id maps). A launcher that cannot be started is left to prelaunch to report.
 */
export function startLauncherEarly(): void {
  if (early) return;
  let pair: [number, number] | undefined;
  try {
    const proc = procAddon();
    pair = proc.socketpair();
    early = { batch: proc.spawnStart([launcherRequest('inherit', 1, 2, pair[1])]), fd: pair[0] };
  } catch {
    if (pair) closeSync(pair[0]);
  } finally {
    // the batch holds a copy until the launcher has it
    if (pair) closeSync(pair[1]);
  }
}

/** The early launcher, once started (undefined if it could not be: prelaunch says why). */
function takeEarly(): SpawnedLauncher | undefined {
  if (!early) return undefined;
  const { batch, fd } = early;
  early = undefined;
  const [pid] = procAddon().spawnJoin(batch);
  if (typeof pid === 'number') return { pid, fd };
  closeSync(fd);
  return undefined;
}

/** Ends the early launcher if no run took it: without a prelude it exits at once. */
export function endEarlyLauncher(): void {
  const launcher = takeEarly();
  if (!launcher) return;
  closeSync(launcher.fd);
  try {
    procAddon().wait(launcher.pid, false);
  } catch {
    // reaped already
  }
}

/**
 * One run of the launcher and the protocol on its control socket (launcher/main.c). minictl
 * has nothing else to do meanwhile: it reads the launcher's messages as they come, without the
 * event loop, which would cost a socket set-up and a wake-up each time (~3 ms in all), in
 * slices between which the event loop turns. Signals to minictl interrupt a slice (the kernel
 * hands a signal sent to a process to its main thread first), so they are forwarded at once.
 */
class Session {
  /** the launcher's pid */
  readonly launcher: number;
  private readonly fd: number;
  private readonly lines: LineReader;
  private steps: Step[] = [];
  private hooks: LaunchHooks = {};
  private failure?: LaunchError;
  private failed?: { step: string; errno: string };
  /** the container's first process, as the host sees it */
  pid?: number;
  /** start() was called: the plan is (being) sent */
  private started = false;
  /** the id maps, begun before start() (mapEarly) */
  private maps?: { ids: IdsToMap; writing?: MapsInProgress; error?: unknown };
  /** the command runs (STARTED), or waits at the start gate (READY) */
  private reached = false;
  private done = false;

  /** Hands `launcher` (spawnLauncher) the prelude of a plan: it makes the namespaces while the caller works out the rest. */
  constructor(prelude: Step[], launcher: SpawnedLauncher) {
    this.launcher = launcher.pid;
    this.fd = launcher.fd;
    this.lines = new LineReader(this.fd);
    this.send(encodePlan(prelude));
  }

  /**
   * Drives the launcher until the command runs (STARTED) or waits at the start gate (READY):
   * the id maps and the hooks when it asks (PID), then the plan and GO. False when the
   * launcher gave up first; exited() then says why. The plan's prelude must be the one the
   * launcher was started with (it checks).
   */
  async start(spec: ContainerSpec, steps: Step[], hooks: LaunchHooks, until: 'STARTED' | 'READY'): Promise<boolean> {
    let plan: Buffer;
    try {
      plan = encodePlan(steps);
    } catch (e) {
      // (a NUL byte in an argument): the launcher, waiting for a plan, must not be left
      this.abandon();
      throw e;
    }
    this.started = true;
    this.steps = steps;
    this.hooks = hooks;
    if (this.pid === undefined && !(await this.readUntil('PID'))) return false;
    await this.prepare(spec, this.pid!, plan);
    return (this.reached = await this.readUntil(until));
  }

  /** Not yet driven by start(): a prelaunched session launch may take over. */
  get unused(): boolean {
    return !this.started && !this.done;
  }

  /**
   * Begins the id maps of the child if it exists by now, without waiting for it: newuidmap
   * and newgidmap then run while the caller works out the plan. start() waits for them (or,
   * if they were not begun, writes the maps itself), and refuses a spec whose maps are not these.
   */
  mapEarly(ids: IdsToMap): void {
    if (!this.unused || this.maps || !this.childNow()) return;
    this.maps = { ids };
    try {
      this.maps.writing = beginMaps(this.pid!, ids);
    } catch (e) {
      this.maps.error = e;
    }
  }

  /** Whether the child exists: the messages that have come so far, read without waiting. */
  private childNow(): boolean {
    for (let line; this.pid === undefined && !this.failed && (line = this.lines.nextNow()) !== undefined; ) this.message(line.split(' '));
    return this.pid !== undefined;
  }

  /** A launcher never given its plan ends (its child with it) once its socket closes. */
  abandon(): void {
    if (this.started || this.done) return;
    try {
      // helpers begun early are waited for: none outlives the run
      this.maps?.writing?.done();
    } catch {
      // their failure no longer matters
    }
    this.release();
    try {
      procAddon().wait(this.launcher, false);
    } catch {
      // reaped already
    }
  }

  /** Messages up to `kind`; false at an error or when the launcher is gone. */
  private async readUntil(kind: string): Promise<boolean> {
    for (let line = await this.lines.next(); line !== undefined; line = await this.lines.next()) {
      const got = this.message(line.split(' '));
      if (got === kind) return true;
      if (got === 'ERR') return false;
    }
    return false;
  }

  private message([kind, a, b]: string[]): string {
    if (kind === 'PID') {
      this.pid = Number(a);
      this.hooks.trace?.(`child ${a} created in new namespaces; writing its id maps`);
    } else if (kind === 'WARN') this.hooks.warn?.(this.steps[Number(a)], errnoName(Number(b)));
    else if (kind === 'ERR') {
      const i = Number(a);
      const step = this.steps[i]?.what ?? LAUNCHER_STEPS[i] ?? 'read the launch plan';
      this.failed ??= { step, errno: errnoName(Number(b)) };
    }
    return kind;
  }

  /** MAPS_PLS: write the id maps (a new user namespace only), run the hooks, then the plan and GO. */
  private async prepare(spec: ContainerSpec, pid: number, plan: Buffer): Promise<void> {
    let helpers: number[] = [];
    try {
      // Maps belong to a user namespace this launch creates, not to one it joins.
      if (spec.linux.namespaces.some((n) => n.type === 'user' && n.path === undefined) && !spec.minictl.join) {
        this.writtenMaps(spec, pid).done();
        // (the message is made only for a trace hook: ?.() evaluates no argument without one)
        this.hooks.trace?.(`uid_map: ${oneLine(toIdMap(spec.linux.uidMappings))}; gid_map: ${oneLine(toIdMap(spec.linux.gidMappings))}; setgroups: ${spec.minictl.setgroups}`);
      }
      helpers = (await this.hooks.beforeStart?.(pid)) ?? [];
    } catch (e) {
      const err = e as Error & { step?: string; errno?: string };
      this.failure ??= new LaunchError(err.message, err.step ?? 'write id maps', err.errno, 125);
      // The launcher reads a whole plan before it hears NO.
      this.send(plan, 'NO\n');
      return;
    }
    // Once GO is read, the launcher stops these when it ends; if it is gone already, we do.
    if (!this.send(plan, helpers.map((h) => `HELPER ${h}\n`).join('') + 'GO\n')) for (const h of helpers) signalQuietly(h, 'SIGTERM');
  }

  /** The maps begun early, if they are the spec's; otherwise begun now. */
  private writtenMaps(spec: ContainerSpec, pid: number): MapsInProgress {
    const ids: IdsToMap = { ...spec.linux, ...spec.minictl };
    if (!this.maps) return beginMaps(pid, ids, spec.minictl.projidMappings && toIdMap(spec.minictl.projidMappings));
    if (this.maps.error) throw this.maps.error;
    if (spec.minictl.projidMappings || idsKey(this.maps.ids) !== idsKey(ids)) {
      this.maps.writing!.done();
      throw new LaunchError('the id maps written early are not the ones of the spec', 'write id maps', undefined, 125);
    }
    return this.maps.writing!;
  }

  /** Writes to the launcher; false when it is gone (its messages and status tell why). */
  private send(data: Buffer, lines = ''): boolean {
    try {
      writeSync(this.fd, lines ? Buffer.concat([data, Buffer.from(lines)]) : data);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Resolves with the launcher's exit status once it has exited; rejects with the failure that
   * caused it. Its end of the control socket closes when it exits (the container's init holds
   * none once the command runs): reading to that end, in the reader's slices that let signals
   * to minictl be forwarded meanwhile, learns of it sooner than SIGCHLD's trip through the
   * event loop.
   */
  async exited(): Promise<number> {
    let exit: ExitStatus;
    try {
      for (let line = await this.lines.next(); line !== undefined; line = await this.lines.next()) this.message(line.split(' '));
      exit = procAddon().wait(this.launcher, false)!;
    } finally {
      this.done = true;
      closeSync(this.fd);
    }
    const status = exitCode(exit);
    const error = this.error(status);
    if (error) throw error;
    return status;
  }

  /** Passes a signal on to the launcher while it runs. */
  kill(signal: NodeJS.Signals): void {
    try {
      if (!this.done) process.kill(this.launcher, signal);
    } catch {
      // it has just exited: exited() reports how
    }
  }

  /** Let go: the launcher goes on supervising the container without Node. */
  release(): void {
    this.done = true;
    closeSync(this.fd);
  }

  private error(status: number): LaunchError | undefined {
    if (this.failed) this.failure ??= new LaunchError(`${this.failed.step}: ${this.failed.errno}`, this.failed.step, this.failed.errno, status);
    // Killed before the command ran (by a second Ctrl-C, or the OOM killer): say so, with the
    // status a shell would show.
    if (!this.reached)
      this.failure ??= new LaunchError(`the launcher ended before the command ran (${describeStatus(status)})`, 'start', undefined, status > 128 ? status : 125);
    return this.failure;
  }
}

/**
 * Lines from the launcher, read as they come. The wait is in slices, the event loop turning in
 * between, so that signals to minictl are handled meanwhile: a second Ctrl-C still ends a
 * set-up that hangs (on a dead NFS volume, say).
 */
class LineReader {
  private buffered = '';
  private readonly buf = Buffer.alloc(4096);
  ended = false;

  constructor(private readonly fd: number) {}

  /** The next line; undefined once the launcher's end is closed. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const line = this.take();
      if (line !== undefined || this.ended) return line;
      if (!this.fill(100)) await new Promise((turned) => setImmediate(turned));
    }
  }

  /** The next line if it has come already, without waiting. */
  nextNow(): string | undefined {
    for (;;) {
      const line = this.take();
      if (line !== undefined || this.ended || !this.fill(0)) return line;
    }
  }

  private take(): string | undefined {
    const nl = this.buffered.indexOf('\n');
    if (nl < 0) return undefined;
    const line = this.buffered.slice(0, nl);
    this.buffered = this.buffered.slice(nl + 1);
    return line;
  }

  /** Reads what has come within timeoutMs (or the end); false when nothing has. */
  private fill(timeoutMs: number): boolean {
    if (!procAddon().readable(this.fd, timeoutMs)) return false;
    let n: number;
    try {
      n = readSync(this.fd, this.buf);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EINTR' || code === 'EAGAIN') return true;
      // a launcher that exits with our last message unread resets the connection
      if (code !== 'ECONNRESET') throw e;
      n = 0;
    }
    if (n === 0) this.ended = true;
    else this.buffered += this.buf.toString('utf8', 0, n);
    return true;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** The id maps of a new user namespace: the parts of a spec that say what to write. */
export interface IdsToMap {
  uidMappings: ContainerSpec['linux']['uidMappings'];
  gidMappings: ContainerSpec['linux']['gidMappings'];
  useIdHelpers: boolean;
  setgroups: 'allow' | 'deny';
}

/** Starts writing the maps of `pid` (startMaps): newuidmap and newgidmap run on meanwhile. */
function beginMaps(pid: number, ids: IdsToMap, projidMap?: IdMap): MapsInProgress {
  return startMaps(pid, toIdMap(ids.uidMappings), toIdMap(ids.gidMappings), { useHelpers: ids.useIdHelpers, setgroups: ids.setgroups, projidMap });
}

function idsKey(ids: IdsToMap): string {
  return JSON.stringify([ids.uidMappings, ids.gidMappings, ids.useIdHelpers, ids.setgroups]);
}

/**
 * A launcher started ahead of its plan (prelaunch); launch takes it over, or abandon ends it.
 * mapEarly begins the id maps if the child exists by then.
 */
export interface Prelaunched {
  mapEarly(ids: IdsToMap): void;
  abandon(): void;
}

/**
 * Starts the launcher before the plan is known, from what decides the namespaces alone, so
 * that they are made (~1.5 ms) while the caller works out the rest. Pass the result to
 * launch, with a spec that agrees on it; abandon it if the run stops before that.
 */
export function prelaunch(prelude: PreludeSpec, stdin: 'inherit' | 'ignore' = 'inherit'): Prelaunched {
  const launcher = (stdin === 'inherit' ? takeEarly() : undefined) ?? spawnLauncher(stdin);
  return new Session(preludeSteps(prelude), launcher);
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
  prelaunched?: Prelaunched,
): Promise<number> {
  const session =
    prelaunched instanceof Session && prelaunched.unused ? prelaunched : new Session(preludeSteps(spec), spawnLauncher(stdin));
  // A command that is pid 1 ignores signals it has no handler for: a second SIGINT or
  // SIGTERM to minictl ends the container for good (the launcher's death takes it down).
  // During the few milliseconds of set-up they wait, as the launcher would make them wait.
  let stops = 0;
  const forward = (sig: NodeJS.Signals) => {
    session.kill((sig === 'SIGINT' || sig === 'SIGTERM') && ++stops > 1 ? 'SIGKILL' : sig);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    await session.start(spec, steps, hooks, 'STARTED');
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
  const session = new Session(preludeSteps(spec), spawnLauncher('ignore', output, output));
  if (!(await session.start(spec, steps, hooks, spec.minictl.startGate ? 'READY' : 'STARTED'))) {
    await session.exited();
    throw new LaunchError('the launcher exited early', 'start', undefined, 125);
  }
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

function describeStatus(status: number): string {
  return status > 128 ? `killed by ${signalName(status - 128)}` : `exit status ${status}`;
}

