import { closeSync, openSync } from 'node:fs';
import { bootId, launchDetached, startTime, type ContainerSpec, type LaunchHooks } from '@minictl/nsproc';
import type { Step } from '@minictl/native';
import type { StateStore } from '@minictl/nsproc';

export interface DetachRequest {
  store: StateStore;
  spec: ContainerSpec;
  steps: Step[];
  id: string;
  name: string;
  image?: string;
  bundle?: string;
  annotations?: Record<string, string>;
  hooks: LaunchHooks;
  /** the cgroup the hooks placed it in, known once it runs */
  cgroup?: () => string | undefined;
}

/**
 * Start a container that outlives this CLI: the launcher (a few hundred KB, not Node's tens
 * of MB) supervises it, its output goes to the log file, its exit status to the exit file.
 * The state directory must have been reserved; it is removed again if the start fails.
 */
export async function startDetached(req: DetachRequest): Promise<void> {
  const { store, id } = req;
  const log = openSync(store.logFile(id), 'a', 0o600);
  try {
    const { pid } = await launchDetached(req.spec, req.steps, log, req.hooks);
    store.save({
      id,
      name: req.name,
      pid,
      pidStart: startTime(pid) ?? '',
      bootId: bootId(),
      created: new Date().toISOString(),
      image: req.image,
      bundle: req.bundle,
      command: req.spec.process.args,
      annotations: req.annotations ?? {},
      spec: req.spec,
      cgroup: req.cgroup?.(),
    });
  } catch (e) {
    store.remove(id, req.name);
    throw e;
  } finally {
    closeSync(log);
  }
}
