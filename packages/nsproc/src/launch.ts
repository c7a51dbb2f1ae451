import { spawn } from 'node:child_process';
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

/**
 * Start the container described by spec + steps and wait for it. Resolves with the
 * container's exit status; rejects with LaunchError when it could not be started.
 */
export function launch(spec: ContainerSpec, steps: Step[], hooks: LaunchHooks = {}): Promise<number> {
  // Its own session: terminal signals reach minictl once, and minictl forwards them.
  const launcher = launcherPath();
  const child = spawn(launcher, [], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], detached: true });
  const ctl = child.stdio[3] as Socket;
  let failure: LaunchError | undefined;
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  for (const s of FORWARDED) process.on(s, forward);

  // The launcher's exit status already says 125, 126 or 127; this names the step.
  let failed: { step: string; errno: string } | undefined;
  const fail = (stepIndex: number, errno: number) => {
    const step = steps[stepIndex]?.what ?? (stepIndex === -1 ? 'create the namespaces (clone)' : 'read the launch plan');
    failed ??= { step, errno: errnoName(errno) };
  };

  let buffered = '';
  ctl.setEncoding('utf8');
  ctl.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const [kind, a, b] = buffered.slice(0, nl).split(' ');
      buffered = buffered.slice(nl + 1);
      if (kind === 'PID') {
        hooks.trace?.(`child ${a} created in new namespaces; writing its id maps`);
        void writeIdMaps(Number(a));
      }
      else if (kind === 'WARN') hooks.warn?.(steps[Number(a)], errnoName(Number(b)));
      else if (kind === 'ERR') fail(Number(a), Number(b));
    }
  });
  ctl.on('error', () => {});

  async function writeIdMaps(pid: number): Promise<void> {
    try {
      const uidMap = toIdMap(spec.linux.uidMappings);
      const gidMap = toIdMap(spec.linux.gidMappings);
      await writeMaps(pid, uidMap, gidMap, {
        useHelpers: spec.minictl.useIdHelpers,
        setgroups: spec.minictl.setgroups,
        projidMap: spec.minictl.projidMappings && toIdMap(spec.minictl.projidMappings),
      });
      hooks.trace?.(`uid_map: ${formatIdMap(uidMap).trim().replace(/\n/g, ', ')}; gid_map: ${formatIdMap(gidMap).trim().replace(/\n/g, ', ')}; setgroups: ${spec.minictl.setgroups}`);
      const helpers = (await hooks.beforeStart?.(pid)) ?? [];
      ctl.write(helpers.map((h) => `HELPER ${h}\n`).join('') + 'GO\n');
    } catch (e) {
      const err = e as Error & { step?: string; errno?: string };
      failure ??= new LaunchError(err.message, err.step ?? 'write id maps', err.errno, 125);
      ctl.write('NO\n');
    }
  }

  ctl.write(encodePlan(steps));
  return new Promise((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => {
      failure ??= new LaunchError(`cannot run the launcher ${launcher}: ${e.code}`, 'spawn launcher', e.code, 125);
    });
    child.on('close', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      const status = code ?? 128 + signalNumber(signal);
      if (failed) failure ??= new LaunchError(`${failed.step}: ${failed.errno}`, failed.step, failed.errno, status);
      if (failure) return reject(failure);
      resolve(status);
    });
  });
}

function toIdMap(m: ContainerSpec['linux']['uidMappings']): IdMap {
  return m.map((r) => ({ inside: r.containerID, outside: r.hostID, length: r.size }));
}

function signalNumber(signal: NodeJS.Signals | null): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return signal ? ((require('node:os') as typeof import('node:os')).constants.signals[signal] ?? 0) : 0;
}
