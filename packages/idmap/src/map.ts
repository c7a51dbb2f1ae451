import { IdMapError } from './errors';

export interface IdMapRecord {
  inside: number;
  outside: number;
  length: number;
}
export type IdMap = readonly IdMapRecord[];
export type IdKind = 'uid' | 'gid';

/** The kernel treats (u32)-1 as "no id": every mapped id must stay below it. */
export const ID_LIMIT = 4294967295;
/** Records a map file may hold (UID_GID_MAP_MAX_EXTENTS, Linux >= 4.15). */
export const MAX_RECORDS = 340;

const SPACED = /^(\d+)\s+(\d+)\s+(\d+)$/;
const COLONS = /^(\d+):(\d+):(\d+)$/;

/** One record as the kernel and the user write it: "inside outside length". */
export function formatIdRecord(r: IdMapRecord): string {
  return `${r.inside} ${r.outside} ${r.length}`;
}

/**
 * Parses "0 1000 1,1 100000 65536" (or "0:1000:1,...", as podman's --uidmap).
 * Newlines also separate records, so a kernel map file (or formatIdMap's output)
 * parses too. The result is validated.
 */
export function parseIdMap(text: string, kind: IdKind): IdMap {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new IdMapError('parse', `empty ${kind} map: expected records "ID-inside ID-outside length" separated by commas`);
  }
  const map = trimmed.split(/[,\n]/).map((raw) => {
    const rec = raw.trim();
    const m = SPACED.exec(rec) ?? COLONS.exec(rec);
    if (!m) {
      throw new IdMapError('parse', `invalid ${kind} map record "${rec}": expected "ID-inside ID-outside length"`);
    }
    return { inside: Number(m[1]), outside: Number(m[2]), length: Number(m[3]) };
  });
  validateIdMap(map, kind);
  return map;
}

/** Reports the first overlap between two records on one side (inside or outside). */
function checkOverlap(map: IdMap, kind: IdKind, side: 'inside' | 'outside'): void {
  for (let i = 0; i < map.length; i++) {
    for (let j = i + 1; j < map.length; j++) {
      const a = map[i];
      const b = map[j];
      const lo = Math.max(a[side], b[side]);
      const hi = Math.min(a[side] + a.length, b[side] + b.length) - 1;
      if (lo > hi) continue;
      const where = side === 'inside' ? `inside ids ${lo}-${hi}` : `host ids ${lo}-${hi}`;
      const fix = side === 'inside' ? 'give each record its own inside range' : 'give each record its own host range';
      throw new IdMapError(
        'validate',
        `${kind} map records "${formatIdRecord(a)}" and "${formatIdRecord(b)}" overlap (${where}): ${fix}`,
      );
    }
  }
}

/** Applies the kernel's rules for a map file, so mistakes are named before any write. */
export function validateIdMap(map: IdMap, kind: IdKind): void {
  if (map.length === 0) {
    throw new IdMapError('validate', `empty ${kind} map: give at least one record "ID-inside ID-outside length"`);
  }
  if (map.length > MAX_RECORDS) {
    throw new IdMapError(
      'validate',
      `${kind} map has ${map.length} records but the kernel accepts at most ${MAX_RECORDS}: merge adjacent ranges`,
    );
  }
  for (const r of map) {
    const bad = (why: string): IdMapError =>
      new IdMapError('validate', `invalid ${kind} map record "${formatIdRecord(r)}": ${why}`);
    if (![r.inside, r.outside, r.length].every((n) => Number.isInteger(n) && n >= 0)) {
      throw bad('ids and length must be non-negative integers');
    }
    if (r.length === 0) throw bad('length must be at least 1');
    if (r.inside + r.length > ID_LIMIT || r.outside + r.length > ID_LIMIT) {
      throw bad(`ids must stay below ${ID_LIMIT} ((u32)-1 is not a valid id): shorten the range`);
    }
  }
  checkOverlap(map, kind, 'inside');
  checkOverlap(map, kind, 'outside');
  // The kernel reads a map in one write of at most a page.
  const bytes = Buffer.byteLength(formatIdMap(map));
  if (bytes >= 4096)
    throw new IdMapError('validate', `${kind} map is ${bytes} bytes written out but the kernel takes less than 4096: merge adjacent ranges`);
}

/** The kernel file format: one "inside outside length" line per record. */
export function formatIdMap(map: IdMap): string {
  return map.map((r) => `${formatIdRecord(r)}\n`).join('');
}
