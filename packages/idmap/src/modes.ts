import { IdMapError } from './errors';
import { ID_LIMIT, validateIdMap, type IdKind, type IdMap, type IdMapRecord } from './map';
import { subIdFile, type SubIdRange } from './subid';

/**
 * auto:    subuid when the user has ranges and working helpers, else root.
 * root:    only the user's own uid/gid, as 0 inside; no helpers needed.
 * subuid:  own id as 0, then the granted ranges from inside id 1 on.
 * keep-id: own id keeps its number inside; granted ids fill the rest.
 */
export type UsernsMode = 'auto' | 'root' | 'subuid' | 'keep-id';

export interface Identity {
  uid: number;
  gid: number;
  name: string;
}

export interface ModeMaps {
  uidMap: IdMap;
  gidMap: IdMap;
  useHelpers: boolean;
  /** Set when 'auto' fell back to the root mapping: why, and how to get ranges. */
  notice?: string;
}

/**
 * The granted ids the map may use, in file order: overlaps between lines (the same
 * range listed by name and by uid is common) and the user's own id (which gets its
 * own record) are cut out, so the records built from them never overlap.
 */
function usableRanges(ranges: readonly SubIdRange[], self: number): SubIdRange[] {
  const taken: SubIdRange[] = [{ start: self, count: 1 }];
  const out: SubIdRange[] = [];
  for (const range of ranges) {
    let pieces = [range];
    for (const t of taken) {
      pieces = pieces.flatMap((p) => {
        const pEnd = p.start + p.count;
        const tEnd = t.start + t.count;
        if (tEnd <= p.start || t.start >= pEnd) return [p];
        const left = { start: p.start, count: t.start - p.start };
        const right = { start: tEnd, count: pEnd - tEnd };
        return [left, right].filter((x) => x.count > 0);
      });
    }
    out.push(...pieces);
    taken.push(...pieces);
  }
  return out;
}

/**
 * Maps `want` inside ids starting at `inside` onto the front of `pool`, consuming
 * what it uses from `pool`. Returns fewer ids if the pool runs out or the inside
 * ids would reach the kernel's limit.
 */
function take(pool: SubIdRange[], inside: number, want: number): IdMapRecord[] {
  const records: IdMapRecord[] = [];
  let left = Math.min(want, ID_LIMIT - inside);
  while (left > 0 && pool.length > 0) {
    const head = pool[0];
    const n = Math.min(left, head.count);
    records.push({ inside, outside: head.start, length: n });
    inside += n;
    left -= n;
    if (n === head.count) pool.shift();
    else pool[0] = { start: head.start + n, count: head.count - n };
  }
  return records;
}

function subuidMap(self: number, pool: SubIdRange[]): IdMap {
  return [{ inside: 0, outside: self, length: 1 }, ...take(pool, 1, Infinity)];
}

/** Ids below `self` take the first granted ids, `self` maps to itself, the rest follow it. */
function keepIdMap(self: number, pool: SubIdRange[]): IdMap {
  const below = take(pool, 0, self);
  return [...below, { inside: self, outside: self, length: 1 }, ...take(pool, self + 1, Infinity)];
}

/** Why ranged maps cannot be used, as "problem: remedy" text, or undefined if they can. */
function rangeProblem(who: Identity, uidPool: SubIdRange[], gidPool: SubIdRange[], helpersUsable: boolean): string | undefined {
  const problems: string[] = [];
  if (!helpersUsable) {
    problems.push('newuidmap/newgidmap are missing or not setuid root: install or reinstall the "uidmap" package (apt-get install uidmap)');
  }
  const missing = (['uid', 'gid'] as IdKind[])
    .filter((k) => (k === 'uid' ? uidPool : gidPool).length === 0)
    .map(subIdFile);
  if (missing.length > 0) {
    problems.push(
      `no subordinate id range for "${who.name}" in ${missing.join(' and ')}: add a line such as "${who.name}:100000:65536" (a range no other user has) to ${missing.length > 1 ? 'each' : 'it'}`,
    );
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

function checked(maps: ModeMaps): ModeMaps {
  validateIdMap(maps.uidMap, 'uid');
  validateIdMap(maps.gidMap, 'gid');
  return maps;
}

/** Builds the uid and gid maps for a user-namespace mode. */
export function mapsForMode(
  mode: UsernsMode,
  who: Identity,
  subuid: readonly SubIdRange[],
  subgid: readonly SubIdRange[],
  helpersUsable: boolean,
): ModeMaps {
  const root = (): ModeMaps => ({
    uidMap: [{ inside: 0, outside: who.uid, length: 1 }],
    gidMap: [{ inside: 0, outside: who.gid, length: 1 }],
    useHelpers: false,
  });
  if (mode === 'root') return root();

  const uidPool = usableRanges(subuid, who.uid);
  const gidPool = usableRanges(subgid, who.gid);
  const problem = rangeProblem(who, uidPool, gidPool, helpersUsable);
  if (problem !== undefined) {
    if (mode === 'auto') {
      return { ...root(), notice: `mapping only uid ${who.uid} and gid ${who.gid} (as root) into the container: ${problem}` };
    }
    throw new IdMapError('userns', `userns mode "${mode}" needs subordinate ids: ${problem}`);
  }
  const build = mode === 'keep-id' ? keepIdMap : subuidMap;
  return checked({ uidMap: build(who.uid, uidPool), gidMap: build(who.gid, gidPool), useHelpers: true });
}
