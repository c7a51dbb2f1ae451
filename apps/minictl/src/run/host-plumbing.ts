import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { delegatedCgroup, pastaStatus, placeInCgroup, startPasta, type ContainerSpec, type Publish } from '@minictl/nsproc';
import { warn } from '../output';
import { UsageError } from './parse';
import type { Plumbing, PlumbingNeeds } from './plumbing';

/**
 * What the host side adds around a container: its cgroup with the requested limits, where the
 * user has a delegated cgroup v2 subtree (otherwise a warning: never silently ignored), and
 * pasta for user-mode networking (stopped by the launcher). Checked before anything starts.
 * (plumbing.ts loads this, in the other commands' bundle, for a spec that needs any.)
 */
export function hostPlumbing(spec: ContainerSpec, id: string, needs: PlumbingNeeds): Plumbing {
  const stops: (() => void)[] = [];
  let placed: string | undefined;
  const res = spec.linux.resources;
  const needed = needs.controllers;
  let cgroup: { parent: string } | undefined;
  if (needed.length) {
    const found = delegatedCgroup(needed);
    if ('reason' in found) warn(`${needed.map((c) => (c === 'memory' ? '--memory' : '--pids-limit')).join(' and ')} ignored: ${found.reason} (see minictl doctor)`);
    else cgroup = found;
  }
  let pasta: string | undefined;
  if (needs.pasta) {
    const status = pastaStatus();
    if ('reason' in status) throw new UsageError(`--network pasta: ${status.reason}`);
    pasta = status.path;
  }
  return {
    async beforeStart(pid) {
      if (cgroup) {
        const name = `minictl-${id.slice(0, 12)}`;
        stops.push(placeInCgroup(cgroup.parent, name, pid, { memory: res?.memory?.limit, pids: res?.pids?.limit }));
        placed = join(cgroup.parent, name);
      }
      return pasta ? [await startPasta(pasta, pid, spec.minictl.publish ?? [])] : [];
    },
    stop() {
      for (const s of stops.reverse()) s();
    },
    cgroupDir: () => placed,
  };
}

/** A published port must be free on the host before anything starts (pasta only warns). */
export async function checkPortsFree(publish: readonly Publish[]): Promise<void> {
  for (const p of publish) {
    const taken = await new Promise<boolean>((resolve) => {
      const probe = p.proto === 'tcp' ? createServer() : null;
      if (!probe) {
        const sock = createSocket('udp6');
        sock.once('error', () => resolve(true));
        sock.bind(p.host, () => sock.close(() => resolve(false)));
        return;
      }
      probe.once('error', () => resolve(true));
      probe.listen(p.host, () => probe.close(() => resolve(false)));
    });
    if (taken) throw new UsageError(`-p ${p.host}:${p.container}/${p.proto}: port ${p.host} is already in use on the host; pick another host port`);
  }
}
