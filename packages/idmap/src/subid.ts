import { readFileSync } from 'node:fs';
import { IdMapError } from './errors';
import { ID_LIMIT, type IdKind } from './map';

/** A block of subordinate ids granted to a user: start .. start+count-1 on the host. */
export interface SubIdRange {
  start: number;
  count: number;
}

export interface SubIdOwner {
  name: string;
  id: number;
}

/** The file that grants subordinate ids of a kind (subuid(5)). */
export function subIdFile(kind: IdKind): string {
  return kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
}

const LINE = /^([^:\s]+):(\d+):(\d+)$/;

/**
 * The ranges granted to `user`, in file order. Lines are "owner:start:count" where
 * owner is a login name or a numeric uid (subuid(5)). Lines that cannot be used
 * (comments, malformed, zero or out-of-range counts) are skipped, so one bad
 * line does not lock the user out.
 */
export function parseSubIdFile(text: string, user: SubIdOwner): SubIdRange[] {
  const ranges: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const [, owner, startText, countText] = m;
    const byId = /^\d+$/.test(owner) && Number(owner) === user.id;
    if (owner !== user.name && !byId) continue;
    const start = Number(startText);
    const count = Number(countText);
    if (count === 0 || start + count > ID_LIMIT) continue;
    ranges.push({ start, count });
  }
  return ranges;
}

/** Reads /etc/subuid or /etc/subgid; a missing file grants nothing. */
export function readSubIds(kind: IdKind, user: SubIdOwner, file: string = subIdFile(kind)): SubIdRange[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new IdMapError(`read ${file}`, `cannot read ${file}: ${code ?? String(err)}: make it readable (mode 0644)`, code);
  }
  return parseSubIdFile(text, user);
}
