import type { ContainerSpec, Controller, Publish } from '@minictl/nsproc';
import { more } from '../load-more';

export interface Plumbing {
  /** after the namespaces exist, before the container runs (launch's beforeStart) */
  beforeStart(pid: number): Promise<number[]>;
  /** after the container is gone */
  stop(): void;
  /** the container's cgroup, once placed (a detached container's is removed by `rm`) */
  cgroupDir(): string | undefined;
}

/** What a spec asks of the host: cgroup controllers for its limits, pasta for its network. */
export interface PlumbingNeeds {
  controllers: Controller[];
  pasta: boolean;
}

export function plumbingNeeds(spec: ContainerSpec): PlumbingNeeds {
  const res = spec.linux.resources;
  return {
    controllers: [...(res?.memory ? (['memory'] as const) : []), ...(res?.pids ? (['pids'] as const) : [])],
    pasta: spec.minictl.network === 'pasta',
  };
}

const NONE: Plumbing = { beforeStart: async () => [], stop: () => undefined, cgroupDir: () => undefined };

/**
 * What the host side adds around a container (host-plumbing.ts, in the other commands' bundle),
 * loaded only for a spec that needs any of it.
 */
export function hostPlumbing(spec: ContainerSpec, id: string): Plumbing {
  const needs = plumbingNeeds(spec);
  return needs.controllers.length > 0 || needs.pasta ? more().hostPlumbing(spec, id, needs) : NONE;
}

/** A published port must be free on the host before anything starts (host-plumbing.ts). */
export async function checkPortsFree(publish: readonly Publish[]): Promise<void> {
  if (publish.length > 0) await more().checkPortsFree(publish);
}
