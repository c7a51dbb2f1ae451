import { userInfo } from 'node:os';
import {
  checkGranted,
  findHelper,
  mapsForMode,
  parseIdMap,
  readSubIds,
  type IdMap,
  type Identity,
  type UsernsMode,
} from '@minictl/idmap';
import type { IdMapping } from '@minictl/nsproc';
import { UsageError } from '../run/parse';

export interface IdentityOptions {
  /** --userns MODE (default auto) */
  userns?: string;
  /** --uidmap / --gidmap: explicit maps in the classic syntax */
  uidmap?: string;
  gidmap?: string;
  /** --setgroups allow|deny */
  setgroups?: string;
}

export interface ResolvedIdentity {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  useIdHelpers: boolean;
  setgroups: 'allow' | 'deny';
  /** one line for the user when `auto` fell back to the single root mapping */
  notice?: string;
}

const MODES: readonly UsernsMode[] = ['auto', 'root', 'subuid', 'keep-id'];

/**
 * The id maps of a new user namespace, validated before any namespace exists: explicit
 * maps must be granted by /etc/subuid and /etc/subgid; modes pick from the user's ranges.
 * Ranges are written by newuidmap/newgidmap; a single self-mapping directly.
 */
export function resolveIdentity(opts: IdentityOptions, who: Identity = currentUser()): ResolvedIdentity {
  const setgroups = opts.setgroups;
  if (setgroups !== undefined && setgroups !== 'allow' && setgroups !== 'deny')
    throw new UsageError(`--setgroups takes allow or deny, got ${JSON.stringify(setgroups)}`);
  if (opts.uidmap !== undefined || opts.gidmap !== undefined) return explicit(opts, who, setgroups);

  const mode = (opts.userns ?? 'auto') as UsernsMode;
  if (!MODES.includes(mode)) throw new UsageError(`--userns takes ${MODES.join(', ')}; got ${JSON.stringify(opts.userns)}`);
  const helpers = mode === 'root' ? { usable: false } : helpersUsable();
  if ((mode === 'subuid' || mode === 'keep-id') && !helpers.usable)
    throw new UsageError(`--userns ${mode} needs newuidmap and newgidmap: ${helpers.reason}`);
  const maps =
    mode === 'root'
      ? mapsForMode(mode, who, [], [], false)
      : mapsForMode(mode, who, subIds('uid', who), subIds('gid', who), helpers.usable);
  const notice = maps.notice && !helpers.usable && helpers.reason ? `${maps.notice} (${helpers.reason})` : maps.notice;
  return {
    uidMappings: toMappings(maps.uidMap),
    gidMappings: toMappings(maps.gidMap),
    useIdHelpers: maps.useHelpers,
    setgroups: pickSetgroups(setgroups, maps.gidMap, who.gid),
    notice,
  };
}

function explicit(opts: IdentityOptions, who: Identity, setgroups: 'allow' | 'deny' | undefined): ResolvedIdentity {
  // A map not given is the single root mapping of the caller's own id.
  const uidMap = opts.uidmap !== undefined ? parseIdMap(opts.uidmap, 'uid') : self(who.uid);
  const gidMap = opts.gidmap !== undefined ? parseIdMap(opts.gidmap, 'gid') : self(who.gid);
  const direct = isSelfOnly(uidMap, who.uid) && isSelfOnly(gidMap, who.gid);
  if (!direct) {
    checkGranted(uidMap, 'uid', who.uid, subIds('uid', who), who.name);
    checkGranted(gidMap, 'gid', who.gid, subIds('gid', who), who.name);
    const h = helpersUsable();
    if (!h.usable) throw new UsageError(`these maps need newuidmap and newgidmap: ${h.reason}`);
  }
  return {
    uidMappings: toMappings(uidMap),
    gidMappings: toMappings(gidMap),
    useIdHelpers: !direct,
    setgroups: pickSetgroups(setgroups, gidMap, who.gid),
  };
}

/**
 * A gid range comes with setgroups allowed, so supplementary groups work. Mapping only one's
 * own gid needs deny: the kernel demands it of a direct write, and newgidmap forces it (the
 * setgroups escape of CVE-2018-7169).
 */
function pickSetgroups(given: 'allow' | 'deny' | undefined, gidMap: IdMap, gid: number): 'allow' | 'deny' {
  const selfOnly = isSelfOnly(gidMap, gid);
  if (given === 'allow' && selfOnly)
    throw new UsageError('setgroups cannot be allowed when only your own gid is mapped: map a subgid range (--userns=subuid or --gidmap)');
  return given ?? (selfOnly ? 'deny' : 'allow');
}

/** Both /etc/subuid and /etc/subgid name the owner by login name or by uid (subgid(5)). */
function subIds(kind: 'uid' | 'gid', who: Identity) {
  return readSubIds(kind, { name: who.name, id: who.uid });
}

function helpersUsable(): { usable: boolean; reason?: string } {
  for (const name of ['newuidmap', 'newgidmap'] as const) {
    const h = findHelper(name);
    if (!h.usable) return { usable: false, reason: h.reason };
  }
  return { usable: true };
}

function self(id: number): IdMap {
  return [{ inside: 0, outside: id, length: 1 }];
}

function isSelfOnly(map: IdMap, id: number): boolean {
  return map.length === 1 && map[0].outside === id && map[0].length === 1;
}

function toMappings(map: IdMap): IdMapping[] {
  return map.map((r) => ({ containerID: r.inside, hostID: r.outside, size: r.length }));
}

export function currentUser(): Identity {
  const uid = process.getuid!();
  let name = String(uid);
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry: /etc/subuid lines by number still match
  }
  return { uid, gid: process.getgid!(), name };
}
