import { readFileSync } from 'node:fs';
import { namesOf, parseSecurebits, resolveRunPolicy } from '@minictl/caps';
import type { ContainerSpec, NamespaceType, PreludeSpec } from '@minictl/nsproc';
import { defaultProfile, parseProfile, type SeccompProfile } from '@minictl/seccomp';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type ImageDefaults, type ImageUser, type RootMode } from '@minictl/rootfs';
import type { ResolvedIdentity } from '../identity/resolve';
import { etcFiles, parseNetwork, type NetworkMode } from './network';
import { mergeEnv, parseEnvArg, parseEnvFile, parseVolume, UsageError } from './parse';
import { parseMemory, parsePidsLimit, parsePublish, parseTmpfs, parseUlimit } from './resources';

export interface RunOptions {
  env: string[];
  envFile: string[];
  workdir?: string;
  volume: string[];
  hostname?: string;
  readOnly?: boolean;
  init: boolean;
  tty?: boolean;
  capAdd: string[];
  capDrop: string[];
  securebits?: string;
  /** commander's value of the negatable --no-new-privs <bool>: true unless given */
  newPrivs: boolean | string;
  seccomp?: string;
  user?: string;
  userns?: string;
  uidmap?: string;
  gidmap?: string;
  setgroups?: string;
  network?: string;
  publish?: string[];
  ulimit?: string[];
  tmpfs?: string[];
  memory?: string;
  pidsLimit?: string;
  unmask?: string[];
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SpecInputs {
  id: string;
  rootfs: string;
  rootMode: RootMode;
  args: string[];
  opts: RunOptions;
  terminal: boolean;
  identity: ResolvedIdentity;
  /** --user resolved in the image; root when absent */
  user?: ImageUser;
  hostEnv?: NodeJS.ProcessEnv;
  /** the host's /etc/resolv.conf, for the container's */
  hostResolv?: string;
  /** the image config's Env and WorkingDir, below the flags */
  image?: ImageDefaults;
}

/** The ContainerSpec for `minictl run`: flags over minictl's defaults. */
/** Every namespace of its own, but the host's network with --network host. */
export function namespacesFor(network: NetworkMode): { type: NamespaceType }[] {
  return (['user', 'mount', 'pid', 'uts', 'ipc', 'network'] as const).filter((type) => type !== 'network' || network !== 'host').map((type) => ({ type }));
}

/** What the launcher needs before it clones (see prelaunch), from the options alone. */
export function preludeFromOptions(opts: Pick<RunOptions, 'network' | 'init'>, terminal: boolean): PreludeSpec {
  return { linux: { namespaces: namespacesFor(parseNetwork(opts.network)) }, process: { terminal }, minictl: { init: opts.init } };
}

export function specFromOptions(i: SpecInputs): ContainerSpec {
  const hostEnv = i.hostEnv ?? process.env;
  const hostname = i.opts.hostname ?? i.id.slice(0, 12);
  const user = i.user ?? { uid: 0, gid: 0, additionalGids: [], home: '/root' };
  const defaults = [`PATH=${DEFAULT_PATH}`, `HOME=${user.home}`, `HOSTNAME=${hostname}`];
  if (i.terminal) defaults.push(`TERM=${hostEnv.TERM || 'xterm'}`);
  const files = i.opts.envFile.flatMap((f) => parseEnvFile(readText(f), f, hostEnv));
  const flags = i.opts.env.map((e) => parseEnvArg(e, hostEnv)).filter((e): e is string => e !== undefined);
  const cwd = i.opts.workdir ?? i.image?.workingDir ?? '/';
  const caps = resolveRunPolicy({ capAdd: i.opts.capAdd, capDrop: i.opts.capDrop, rootUser: user.uid === 0 });
  if (!cwd.startsWith('/')) throw new UsageError(`--workdir must be an absolute path inside the container, got ${JSON.stringify(cwd)}`);
  const network = parseNetwork(i.opts.network);
  const publish = (i.opts.publish ?? []).map(parsePublish);
  if (publish.length && network !== 'pasta') throw new UsageError('-p publishes ports through pasta: add --network pasta');
  const unmask = new Set(i.opts.unmask ?? []);
  const visible = (p: string) => !unmask.has('ALL') && !unmask.has(p);
  const memory = i.opts.memory === undefined ? undefined : parseMemory(i.opts.memory);
  const pids = i.opts.pidsLimit === undefined ? undefined : parsePidsLimit(i.opts.pidsLimit);
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: i.terminal,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: i.args,
      env: mergeEnv(defaults, i.image?.env ?? [], files, flags),
      cwd,
      capabilities: {
        bounding: ociNames(caps.bounding),
        effective: ociNames(caps.effective),
        inheritable: ociNames(caps.inheritable),
        permitted: ociNames(caps.permitted),
        ambient: ociNames(caps.ambient),
      },
      noNewPrivileges: noNewPrivs(i.opts.newPrivs),
      rlimits: (i.opts.ulimit ?? []).map(parseUlimit),
    },
    root: { path: i.rootfs, readonly: i.rootMode === 'readonly' },
    hostname,
    mounts: [...i.opts.volume.map((v) => parseVolume(v)), ...(i.opts.tmpfs ?? []).map(parseTmpfs)],
    linux: {
      namespaces: namespacesFor(network),
      uidMappings: i.identity.uidMappings,
      gidMappings: i.identity.gidMappings,
      seccomp: seccompProfile(i.opts.seccomp ?? 'default', namesOf(caps.bounding)),
      maskedPaths: DEFAULT_MASKED_PATHS.filter(visible),
      readonlyPaths: DEFAULT_READONLY_PATHS.filter(visible),
      resources:
        memory === undefined && pids === undefined
          ? undefined
          : { memory: memory === undefined ? undefined : { limit: memory }, pids: pids === undefined ? undefined : { limit: pids } },
    },
    minictl: {
      init: i.opts.init,
      rootMode: i.rootMode,
      setgroups: i.identity.setgroups,
      useIdHelpers: i.identity.useIdHelpers,
      securebits: i.opts.securebits === undefined ? undefined : parseSecurebits(i.opts.securebits),
      etc: etcFiles(network, hostname, i.hostResolv ?? ''),
      network,
      publish,
    },
  };
}

/** Kept here, and so in the start-up snapshot with its compiled filter (nsproc's credentials.ts):
 * a default run then runs no code of @minictl/seccomp, which the CLI's bundle loads on first
 * use (build.js). */
let defaultSeccomp: SeccompProfile | undefined;

/** --seccomp: minictl's default filter, none, or a profile file (its capability-gated rules
 * judged against the container's bounding set, as Docker does). */
function seccompProfile(opt: string, caps: string[]): SeccompProfile | undefined {
  if (opt === 'unconfined') return undefined;
  if (opt === 'default') return (defaultSeccomp ??= defaultProfile());
  let text: string;
  try {
    text = readFileSync(opt, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read seccomp profile ${opt}: ${(e as NodeJS.ErrnoException).code}`);
  }
  return parseProfile(text, opt, { caps: caps.map((c) => c.toUpperCase()) });
}

/** OCI spells capabilities CAP_CHOWN. */
function ociNames(mask: bigint): string[] {
  return namesOf(mask).map((n) => n.toUpperCase());
}

function noNewPrivs(value: boolean | string): boolean {
  // true: not given; false: given bare (commander's negation); or the text of --no-new-privs=X
  if (value === true || value === false || value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--no-new-privs takes true or false, got ${JSON.stringify(value)}`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read env file ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
}
