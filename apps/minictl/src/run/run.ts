import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { release } from 'node:os';
import { join, resolve as pathResolve } from 'node:path';
import { isatty } from 'node:tty';
import { compilePlan, launch, LaunchError, prelaunch, validateSpec, type IdMapping, type Prelaunched } from '@minictl/nsproc';
import { removeTree, resolveUser, storeFor, type RootMode, type Store } from '@minictl/rootfs';
import { treeTools, type TreeTools } from '../identity/namespaced';
import { isHostRoot } from '../identity/host-root';
import { resolveIdentity, type ResolvedIdentity } from '../identity/resolve';
import { openImage } from '../images/open';
import { more } from '../load-more';
import { notice, warn } from '../output';
import { UsageError } from './parse';
import { checkPortsFree, hostPlumbing } from './plumbing';
import type { Step } from '@minictl/native';
import { checkAgainstHost } from './resources';
import { commandFor } from './image-defaults';
import { preludeFromOptions, specFromOptions, type RunOptions } from './spec-from-options';

export interface RunCommandOptions extends RunOptions {
  rootfs?: string;
  detach?: boolean;
  name?: string;
  /** global --root: where container state lives */
  stateRoot?: string;
  /** replaces the image's Entrypoint (and drops its Cmd) */
  entrypoint?: string;
  /** no progress bar while importing */
  quiet?: boolean;
  /** which image of a multi-platform archive */
  platform?: string;
}

/** `minictl run`: resolve the image, build the spec, start the container, return its status. */
export async function runCommand(positional: string[], opts: RunCommandOptions): Promise<number> {
  if (isHostRoot())
    throw new UsageError('refusing to run as root: container root would be host root; run minictl as an ordinary user');
  const store = storeFor();
  const image = opts.rootfs ? undefined : positional[0];
  const rest = opts.rootfs ? positional : positional.slice(1);
  if (!opts.rootfs && !image) throw new UsageError('missing IMAGE: minictl run [options] IMAGE [COMMAND [ARG...]]');
  // A detached container has no terminal to talk to: its output goes to its log.
  const terminal = opts.detach ? false : (opts.tty ?? (isatty(0) && isatty(1)));
  // The launcher makes the namespaces while the image and the plan are worked out.
  const ahead = opts.detach ? undefined : prelaunch(preludeFromOptions(opts, terminal));
  try {
    return await runPrepared(store, image, rest, terminal, opts, ahead);
  } finally {
    // a no-op once launch has taken it over
    ahead?.abandon();
  }
}

async function runPrepared(
  store: Store,
  image: string | undefined,
  rest: string[],
  terminal: boolean,
  opts: RunCommandOptions,
  ahead: Prelaunched | undefined,
): Promise<number> {
  const identity = resolveIdentity(opts);
  if (identity.notice) notice(identity.notice);
  requireOwnIds(identity);
  // newuidmap and newgidmap (~2 ms) run while the image is looked up and the plan is made,
  // from as soon as the launcher's child exists: asked at each step on the way, which costs
  // a poll(2) each, until it does.
  const mapSoon = () => ahead?.mapEarly(identity);
  mapSoon();
  const trees = treeTools(identity);
  const opened = opts.rootfs ? undefined : await openImage(image!, store, trees, opts);
  mapSoon();
  const rootfs = opened?.rootfs ?? checkRootfs(opts.rootfs!);
  const args = commandFor(opened?.defaults, opts.entrypoint, rest);
  const id = newContainerId();
  // a detached run's state and start are in the other commands' bundle (load-more.ts)
  const states = opts.detach ? more().containers(opts.stateRoot) : undefined;
  const name = opts.name ?? id.slice(0, 12);
  if (states) more().checkNameFree(states, name);
  else if (opts.name !== undefined) throw new UsageError('--name names a detached container: add -d');

  // keep-id exists to run as oneself: that is its default user.
  const userSpec = opts.user ?? (opts.userns === 'keep-id' ? `${process.getuid!()}:${process.getgid!()}` : opened?.defaults.user);
  const user = userSpec === undefined ? undefined : resolveUser(rootfs, userSpec);

  const hostResolv = readOptional('/etc/resolv.conf');
  const start = async (rootMode: RootMode, lower: string) => {
    const spec = validateSpec(specFromOptions({ id, rootfs: lower, rootMode, args, opts, terminal, identity, user, hostResolv, image: opened?.defaults }));
    mapSoon();
    if (states) spec.minictl.detached = { exitFile: states.exitFile(id) };
    mkdirSync(store.mnt, { recursive: true, mode: 0o700 });
    const steps = compilePlan(spec, { scratch: store.mnt });
    mapSoon();
    const plumbing = hostPlumbing(spec, id);
    if (spec.process.rlimits?.length) checkAgainstHost(spec.process.rlimits, readOptional('/proc/self/limits'));
    await checkPortsFree(spec.minictl.publish ?? []);
    const hooks = { warn: (step: Step, errno: string) => warn(fallbackWarning(step.what, errno)), beforeStart: plumbing.beforeStart };
    if (states) {
      more().reserveName(states, id, name);
      await more().startDetached({ store: states, spec, steps, id, name, image: image && (existsSync(image) ? pathResolve(image) : image), hooks, cgroup: plumbing.cgroupDir });
      process.stdout.write(`${id}\n`);
      return 0;
    }
    try {
      return await launch(spec, steps, hooks, 'inherit', ahead);
    } finally {
      plumbing.stop();
    }
  };

  if (opts.readOnly) {
    try {
      return await start('readonly', rootfs);
    } catch (e) {
      throw explain(e, true);
    }
  }
  // The verdict holds for this kernel only: a new kernel gets overlayfs tried again.
  const marker = join(store.root, 'no-overlay');
  if (readOptional(marker).split(' ')[0] !== release()) {
    try {
      return await start('overlay', rootfs);
    } catch (e) {
      if (!(e instanceof LaunchError && e.step.startsWith('mount overlay'))) throw explain(e);
      warn(`overlayfs is not available in a user namespace here (${e.errno}); using a per-run copy of the image from now on`);
      writeFileSync(marker, `${release()} ${e.errno}\n`);
    }
  }
  // A per-run copy is removed when the run ends, which a detached run outlives.
  if (opts.detach) throw new UsageError('--detach needs overlayfs in a user namespace, which this host lacks (see minictl doctor)');
  return withCopy(store, id, rootfs, trees, (copy) => start('bind', copy));
}

/** The fallback writable view: a private copy of the image, removed when the run ends. */
async function withCopy<T>(store: Store, id: string, rootfs: string, trees: TreeTools, fn: (copy: string) => Promise<T>): Promise<T> {
  const parent = join(store.root, 'containers');
  await removeAbandonedCopies(parent, trees);
  // Named after this process, so that a copy left by a killed minictl can be recognised.
  const dir = join(parent, `${process.pid}-${id}`);
  const copy = join(dir, 'rootfs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await trees.copier(rootfs, copy);
  try {
    return await fn(copy);
  } catch (e) {
    throw explain(e);
  } finally {
    await trees.remover(copy);
    removeTree(dir);
  }
}

/**
 * 32 random hex digits; the kernel's uuid source avoids loading crypto on the start path
 * (the bundle binds it lazily, see build.js). Read as utf8, which Node reads natively: its
 * first read in another encoding costs ~0.6 ms.
 */
function newContainerId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/uuid', 'utf8').trim().replace(/-/g, '');
  } catch {
    return randomBytes(16).toString('hex');
  }
}

/** The image cache belongs to the caller: a container that does not map them cannot read it. */
function requireOwnIds(identity: ResolvedIdentity): void {
  const covers = (maps: IdMapping[], id: number) => maps.some((m) => id >= m.hostID && id < m.hostID + m.size);
  const [uid, gid] = [process.getuid!(), process.getgid!()];
  if (!covers(identity.uidMappings, uid) || !covers(identity.gidMappings, gid))
    throw new UsageError(`the id maps must include your own uid ${uid} and gid ${gid}, which own the image cache`);
}


function readOptional(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Per-run copies whose minictl is gone (killed before it could clean up). */
async function removeAbandonedCopies(parent: string, trees: TreeTools): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.split('-')[0]);
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    const dir = join(parent, name);
    if (existsSync(join(dir, 'rootfs'))) await trees.remover(join(dir, 'rootfs'));
    removeTree(dir);
  }
}

function checkRootfs(dir: string): string {
  const abs = pathResolve(dir);
  if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--rootfs ${dir}: not a directory`);
  return abs;
}

function fallbackWarning(what: string, errno: string): string {
  const etc = /^mount (\/etc\/\S+)$/.exec(what);
  if (etc && errno === 'ENOENT')
    return `the read-only image has no ${etc[1]} to mount over, so the container has none (add one to the image, or drop --read-only)`;
  if (what === 'mount proc')
    return `the kernel refused a new /proc (${errno}); bound the host's /proc instead, which shows host processes`;
  return `${what} failed (${errno}); used the fallback`;
}

/** Add the remedy to errors whose cause lies in the host's configuration. */
function explain(e: unknown, readOnly = false): unknown {
  if (!(e instanceof LaunchError)) return e;
  if (readOnly && e.errno === 'ENOENT' && e.step.startsWith('mount '))
    return new LaunchError(`${e.message}: a --read-only root cannot get new mount points; use a path that exists in the image`, e.step, e.errno, e.exitCode);
  if (!e.step.startsWith('create the namespaces')) return e;
  let why: string | undefined;
  try {
    why = more().explainUsernsRefusal(e.errno);
  } catch {
    // the launcher's own words then
  }
  return why ? new LaunchError(`cannot create a user namespace: ${why}`, e.step, e.errno, e.exitCode) : e;
}
