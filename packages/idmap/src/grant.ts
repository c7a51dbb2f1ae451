import { IdMapError } from './errors';
import { formatIdRecord, type IdKind, type IdMap } from './map';
import { subIdFile, type SubIdRange } from './subid';

/**
 * Checks that the caller may map every host id in `map`: a record must be exactly
 * the caller's own id (length 1) or lie within one granted range. This mirrors
 * what newuidmap/newgidmap will enforce, so the user gets the remedy before any
 * process is started. `owner` is the first field of the /etc/subuid line to
 * suggest (the login name); without it the numeric id is suggested for uids.
 */
export function checkGranted(
  map: IdMap,
  kind: IdKind,
  self: number,
  ranges: readonly SubIdRange[],
  owner?: string,
): void {
  const file = subIdFile(kind);
  for (const r of map) {
    if (r.outside === self && r.length === 1) continue;
    const last = r.outside + r.length - 1;
    if (self !== 0 && r.outside === 0) {
      // Host root inside a container would be real root on the host.
      throw new IdMapError(
        'grant',
        `${kind} map record "${formatIdRecord(r)}" maps host ${kind} 0 (root), which only root may map: map your own ${kind} instead ("0 ${self} 1")`,
      );
    }
    if (ranges.some((g) => r.outside >= g.start && last < g.start + g.count)) continue;
    const who = owner ?? (kind === 'uid' ? String(self) : 'USER');
    throw new IdMapError(
      'grant',
      `${kind} map record "${formatIdRecord(r)}" uses host ${kind}s ${r.outside}-${last}, which ${file} does not grant to you: add "${who}:${r.outside}:${r.length}" to ${file}`,
    );
  }
}
