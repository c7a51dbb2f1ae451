/**
 * Every command but `run`, and what a run needs only when it fails, unpacks an image, takes an
 * OCI bundle, runs detached, limits resources, uses pasta or a seccomp filter other than the
 * default: a bundle of its own (dist/minictl-more-HASH.js, see build.js), kept out of the
 * start-up snapshot, which a `run` would otherwise deserialise at every start; loaded by
 * load-more.ts when needed.
 */
import type { Command } from 'commander';
import { registerDoctor } from './doctor/command';
import { registerImages } from './images/command';
import { registerInternal } from './internal/command';
import { registerLifecycle } from './lifecycle/commands';
import { registerOci } from './oci/commands';
import { registerUnshare } from './unshare/command';

export { explainUsernsRefusal } from './diagnose';
export { unpackImage } from './images/unpack-image';
export { checkNameFree, containers, reserveName } from './lifecycle/containers';
export { startDetached } from './lifecycle/detach';
export { checkPortsFree, hostPlumbing } from './run/host-plumbing';
// The CLI's bundle reads @minictl/seccomp from here (build.js): only runs with a filter other
// than the default one, compiled into the start-up snapshot, need it.
export * as seccomp from '@minictl/seccomp';
export { runBundle } from './oci/commands';

/** Registers the commands after `run`, in the order `minictl --help` lists them. */
export function registerMore(program: Command): void {
  registerImages(program);
  registerUnshare(program);
  registerLifecycle(program);
  registerOci(program);
  registerDoctor(program);
  registerInternal(program);
}
