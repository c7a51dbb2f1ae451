import { closeSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { procAddon } from '@minictl/native';
import { parseProfile, profileToJson } from '@minictl/seccomp';
import type { ContainerSpec } from './spec';

/** What minictl remembers of a container (state.json in its state directory). */
export interface ContainerRecord {
  id: string;
  name: string;
  /** the container's init, as the host sees it, with its start time: a recycled pid is not it */
  pid: number;
  pidStart: string;
  bootId: string;
  created: string;
  /** what was asked: the image or bundle, and the command */
  image?: string;
  bundle?: string;
  command: string[];
  annotations: Record<string, string>;
  spec: ContainerSpec;
  /** its cgroup, when minictl made one (removed with the container) */
  cgroup?: string;
}

export type Status = 'created' | 'running' | 'stopped';

/** Where container state lives: --root, $XDG_RUNTIME_DIR/minictl, or a private /tmp directory. */
export function stateRoot(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return resolve(given);
  if (env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR)) return join(env.XDG_RUNTIME_DIR, 'minictl');
  return join(tmpdir(), `minictl-${process.getuid!()}`);
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }
  logFile(id: string): string {
    return join(this.dir(id), 'log');
  }
  exitFile(id: string): string {
    return join(this.dir(id), 'exit');
  }
  startFifo(id: string): string {
    return join(this.dir(id), 'start');
  }

  /**
   * A fresh state directory for id, and the name claimed for it; both atomically (mkdir,
   * and a name file created exclusively), so two concurrent starts cannot share either.
   * Returns false if either is taken.
   */
  reserve(id: string, name = id): boolean {
    mkdirSync(join(this.root, '.names'), { recursive: true, mode: 0o700 });
    try {
      mkdirSync(this.dir(id), { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeFileSync(this.nameFile(name), id, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      rmSync(this.dir(id), { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    return true;
  }

  private nameFile(name: string): string {
    return join(this.root, '.names', name);
  }

  save(record: ContainerRecord): void {
    const file = join(this.dir(record.id), 'state.json');
    // 64-bit seccomp arguments and rlimits do not survive JSON as numbers: the profile is kept
    // in its own exact text, limits as decimal strings.
    const { seccomp, ...linux } = record.spec.linux;
    const stored = { ...record, spec: { ...record.spec, linux }, seccomp: seccomp && profileToJson(seccomp) };
    writeFileSync(`${file}.tmp`, JSON.stringify(stored, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    renameSync(`${file}.tmp`, file);
  }

  load(id: string): ContainerRecord | undefined {
    let stored: ContainerRecord & { seccomp?: string };
    try {
      stored = JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8'));
    } catch {
      return undefined;
    }
    const { seccomp, ...record } = stored;
    if (seccomp) record.spec.linux.seccomp = parseProfile(seccomp, join(this.dir(id), 'state.json'));
    return record;
  }

  all(): ContainerRecord[] {
    let ids: string[] = [];
    try {
      ids = readdirSync(this.root).filter((d) => !d.startsWith('.'));
    } catch {
      return [];
    }
    return ids.map((id) => this.load(id)).filter((r): r is ContainerRecord => r !== undefined);
  }

  /** By full id, unique id prefix, or name. */
  find(ref: string): ContainerRecord | undefined {
    const all = this.all();
    return all.find((r) => r.id === ref || r.name === ref) ?? onlyOne(all.filter((r) => r.id.startsWith(ref)));
  }

  /** Forget a container: its state directory and its name (given, or from its state). */
  remove(id: string, name = this.load(id)?.name): void {
    rmSync(this.dir(id), { recursive: true, force: true });
    for (const n of new Set([name, id])) {
      if (n === undefined) continue;
      try {
        if (readFileSync(this.nameFile(n), 'utf8') === id) rmSync(this.nameFile(n));
      } catch {
        // no such name
      }
    }
  }

  /** The exit status the launcher recorded, if the container has ended. */
  exitStatus(id: string): number | undefined {
    try {
      return Number(readFileSync(this.exitFile(id), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** created until `start`, running while its init lives, stopped after (or after a reboot). */
  status(r: ContainerRecord): Status {
    if (this.exitStatus(r.id) !== undefined || !alive(r)) return 'stopped';
    return existsSync(this.startFifo(r.id)) ? 'created' : 'running';
  }
}

function onlyOne<T>(list: T[]): T | undefined {
  return list.length === 1 ? list[0] : undefined;
}

export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * Field 22 of /proc/PID/stat: the process's start time, which a recycled pid does not share.
 * A zombie (dead, not yet reaped by whoever inherited it) has none: it is not running.
 */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/** Is the recorded init still the same process? */
export function alive(r: Pick<ContainerRecord, 'pid' | 'pidStart' | 'bootId'>): boolean {
  return r.bootId === bootId() && startTime(r.pid) === r.pidStart;
}

/**
 * Signal the container's init, unless its pid now belongs to another process. The pidfd is
 * opened first and the start time checked after: the pidfd names whoever had the pid at that
 * moment, and if that is still the recorded init, the signal cannot reach anyone else, however
 * soon the pid is recycled.
 */
export function signalContainer(r: ContainerRecord, signal: NodeJS.Signals | number): boolean {
  const proc = procAddon();
  let pidfd: number;
  try {
    pidfd = proc.pidfdOpen(r.pid);
  } catch {
    return false;
  }
  try {
    if (!alive(r)) return false;
    proc.pidfdSignal(pidfd, typeof signal === 'number' ? signal : constants.signals[signal]);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(pidfd);
  }
}
