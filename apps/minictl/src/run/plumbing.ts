import type { ContainerSpec, Publish } from '@minictl/nsproc';
import { more } from '../load-more';

export interface Plumbing {
  /** after the namespaces exist, before the container runs (launch's beforeStart) */
  beforeStart(pid: number): Promise<number[]>;
  /** after the container is gone */
  stop(): void;
  /** the container's cgroup, once placed (a detached container's is removed by `rm`) */
  cgroupDir(): string | undefined;
}

const NONE: Plumbing = { beforeStart: async () => [], stop: () => undefined, cgroupDir: () => undefined };

/**
 * What the host side adds around a container (host-plumbing.ts): a cgroup for --memory or
 * --pids-limit, pasta for --network pasta. A run with neither loads none of it.
 */
export function hostPlumbing(spec: ContainerSpec, id: string): Plumbing {
  const res = spec.linux.resources;
  return res?.memory || res?.pids || spec.minictl.network === 'pasta' ? more().hostPlumbing(spec, id) : NONE;
}

/** A published port must be free on the host before anything starts (host-plumbing.ts). */
export async function checkPortsFree(publish: readonly Publish[]): Promise<void> {
  if (publish.length > 0) await more().checkPortsFree(publish);
}
