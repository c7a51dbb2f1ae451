/**
 * Gathers doctor's HostFacts from the real host. Reads are cheap and never throw; the one
 * active test starts a throw-away container through the launcher, exactly as `minictl run`
 * would create its namespaces and overlay, and reports the first step the kernel refused.
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { release, tmpdir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { findHelper, readSubIds, type SubIdOwner } from '@minictl/idmap';
import { CLONE, launcherPath, MS, Op, type Step } from '@minictl/native';
import { findPasta, launch, LaunchError, type ContainerSpec } from '@minictl/nsproc';
import { storeFor } from '@minictl/rootfs';
import { readUsernsSysctls, type CgroupFacts, type HostFacts, type NamespaceProbe, type SubIdFacts, type TunFacts } from './checks';
import { readSysctl } from './sysctl';

export async function gatherFacts(): Promise<HostFacts> {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const name = userName(uid);
  const owner: SubIdOwner = { name, id: uid };
  const marker = join(storeFor().root, 'no-overlay');
  return {
    kernel: release(),
    user: { name, uid, hostRoot: isHostRoot(uid) },
    sysctl: readUsernsSysctls(readSysctl),
    launcher: launcherPath(),
    helpers: { newuidmap: findHelper('newuidmap'), newgidmap: findHelper('newgidmap') },
    subuid: subIds('uid', owner),
    subgid: subIds('gid', owner),
    freeSubId: freeSubId(['/etc/subuid', '/etc/subgid']),
    probe: await probeNamespaces(uid, gid),
    noOverlayMarker: existsSync(marker) ? marker : undefined,
    pasta: findPasta(),
    tun: tunFacts(),
    cgroup: cgroupFacts(),
  };
}

function userName(uid: number): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (a container started with an arbitrary uid).
    return process.env.USER || String(uid);
  }
}

/** Root of the initial user namespace (root inside someone else's user namespace is fine). */
function isHostRoot(uid: number): boolean {
  if (uid !== 0) return false;
  try {
    return /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return true;
  }
}

function subIds(kind: 'uid' | 'gid', owner: SubIdOwner): SubIdFacts {
  try {
    return { ranges: readSubIds(kind, owner) };
  } catch (e) {
    return { ranges: [], error: (e as { errno?: string }).errno ?? 'unreadable' };
  }
}

/** Where a new range can start without overlapping anyone's: after the last granted id. */
export function freeSubId(files: string[], read = (f: string) => readFileSync(f, 'utf8')): number {
  let next = 100000;
  for (const file of files) {
    let text = '';
    try {
      text = read(file);
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^\s*[^:#\s][^:\s]*:(\d+):(\d+)\s*$/.exec(line);
      if (m) next = Math.max(next, Number(m[1]) + Number(m[2]));
    }
  }
  return next;
}

function tunFacts(file = '/dev/net/tun'): TunFacts {
  const st = statSync(file, { throwIfNoEntry: false });
  if (!st) return { exists: false, charDevice: false, accessible: false };
  let accessible = true;
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch {
    accessible = false;
  }
  return { exists: true, charDevice: st.isCharacterDevice(), mode: st.mode, accessible };
}

// ---------------------------------------------------------------------------------------
// cgroups

interface MountInfo {
  root: string;
  mountPoint: string;
  fstype: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/PID/mountinfo lines: "id parent dev root mountpoint options [optional...] - fstype source superoptions". */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length < 5 || dash < 6) continue;
    out.push({ root: unescape(f[3]), mountPoint: unescape(f[4]), fstype: f[dash + 1] });
  }
  return out;
}

/** The cgroup v2 facts from mountinfo and /proc/self/cgroup; `check` answers access(2). */
export function cgroupFactsFrom(
  mountinfo: string,
  procCgroup: string,
  access: (p: string) => boolean,
  read: (p: string) => string | undefined,
): CgroupFacts {
  const mounts = parseMountInfo(mountinfo);
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  const v1 = mounts.some((m) => m.fstype === 'cgroup');
  const facts: CgroupFacts = { v2: !!v2, v1, writable: false, subtreeControlWritable: false, controllers: [] };
  if (!v2) return facts;
  facts.mountPoint = v2.mountPoint;
  const own = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (!own) return facts;
  let rel = own.slice(3).replace(/ \(deleted\)$/, '');
  if (v2.root !== '/' && (rel === v2.root || rel.startsWith(`${v2.root}/`))) rel = rel.slice(v2.root.length) || '/';
  const dir = posix.join(v2.mountPoint, rel).replace(/(.)\/+$/, '$1');
  facts.dir = dir;
  facts.writable = access(dir);
  facts.subtreeControlWritable = access(posix.join(dir, 'cgroup.subtree_control'));
  facts.controllers = (read(posix.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
  return facts;
}

function cgroupFacts(): CgroupFacts {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  };
  const access = (p: string) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  return cgroupFactsFrom(read('/proc/self/mountinfo') ?? '', read('/proc/self/cgroup') ?? '', access, read);
}

// ---------------------------------------------------------------------------------------
// The namespace + overlay test

type Stage = 'userns' | 'setup' | 'overlay' | 'exec';

/**
 * A throw-away container: a user and a mount namespace, / made private, a tmpfs on `dir`
 * (a directory of ours), an overlay of two empty directories inside it, attached as run
 * attaches its root, then /bin/true run from the host's filesystem (there is no pivot_root).
 * Each step carries the stage it tests.
 */
export function probePlan(dir: string): (Step & { stage: Stage })[] {
  const sub = (d: string) => `${dir}/${d}`;
  return [
    { op: Op.CONFIG, args: [String((CLONE.NEWUSER | CLONE.NEWNS) >>> 0), '0', '0'], what: 'configure the launcher', stage: 'setup' },
    { op: Op.MOUNT, args: ['', '/', '', String(MS.REC | MS.PRIVATE), ''], what: 'make / recursively private', stage: 'setup' },
    {
      op: Op.MOUNT,
      args: ['tmpfs', dir, 'tmpfs', String(MS.NOSUID | MS.NODEV), 'mode=0755'],
      what: `mount tmpfs on ${dir}`,
      stage: 'setup',
    },
    ...['lower', 'upper', 'work', 'merged'].map((d) => ({
      op: Op.MKDIR,
      args: [sub(d), '755'],
      what: `mkdir ${sub(d)}`,
      stage: 'setup' as const,
    })),
    {
      op: Op.FSMOUNT,
      // No fallback path: a refused overlay must fail, not be replaced by a bind.
      args: ['0', 'overlay', '0', '', 'lowerdir', sub('lower'), 'upperdir', sub('upper'), 'workdir', sub('work'), 'userxattr', ''],
      what: 'mount overlay (userxattr)',
      stage: 'overlay',
    },
    { op: Op.ATTACH, args: ['0', sub('merged')], what: `attach overlay on ${sub('merged')}`, stage: 'overlay' },
    { op: Op.ARGV, args: ['/bin/true'], what: 'execute /bin/true', stage: 'exec' },
  ];
}

/** The spec launch() needs for the id maps: our own uid and gid as root, setgroups denied. */
export function probeSpec(uid: number, gid: number, dir: string): ContainerSpec {
  return {
    ociVersion: '1.2.0',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/true'], env: [], cwd: '/', noNewPrivileges: true },
    root: { path: dir, readonly: true },
    hostname: 'minictl-doctor',
    mounts: [],
    linux: {
      namespaces: [{ type: 'user' }, { type: 'mount' }],
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
    },
    minictl: { init: false, rootMode: 'overlay', setgroups: 'deny', useIdHelpers: false },
  };
}

/** Which part of the test a failed launch belongs to. */
export function classifyLaunchError(e: LaunchError, steps: readonly (Step & { stage: Stage })[]): NamespaceProbe {
  const errno = e.errno;
  if (e.step === 'spawn launcher') return { result: 'not-run', reason: e.message, ...(errno ? { errno } : {}) };
  const step = steps.find((s) => s.what === e.step);
  // Not a plan step: the clone itself ("create the namespaces (clone)") or the id maps
  // ("write /proc/PID/uid_map", "setgroups", ...); a plan the launcher could not read is ours.
  const stage: Stage = step ? step.stage : e.step === 'read the launch plan' ? 'setup' : 'userns';
  return { result: 'failed', stage, step: e.step, ...(errno ? { errno } : {}) };
}

export async function probeNamespaces(uid: number, gid: number): Promise<NamespaceProbe> {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'minictl-doctor-'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { result: 'not-run', reason: `cannot create a directory in ${tmpdir()} (${code})`, ...(code ? { errno: code } : {}) };
  }
  const steps = probePlan(dir);
  try {
    const status = await launch(
      probeSpec(uid, gid, dir),
      steps.map(({ op, args, what }) => ({ op, args, what })),
    );
    return status === 0 ? { result: 'ok' } : { result: 'failed', stage: 'exec', step: 'execute /bin/true', errno: `exit status ${status}` };
  } catch (e) {
    if (e instanceof LaunchError) return classifyLaunchError(e, steps);
    return { result: 'not-run', reason: (e as Error).message };
  } finally {
    // The tmpfs lived in the test's mount namespace only: on the host the directory is empty.
    rmSync(dir, { recursive: true, force: true });
  }
}
