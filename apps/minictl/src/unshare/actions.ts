import { allMask, applySetEdit, capNumber, CapsError, lastCap, parseCapText, parseSecurebits } from '@minictl/caps';
import type { CredAction } from '@minictl/nsproc';
import { UsageError } from '../run/parse';

/** -I: raise every capability in the inheritable set. */
export function raiseInheritable(): CredAction {
  return { kind: 'capedit', set: 'i', op: '+', mask: allMask(), text: 'i+all' };
}

/** -A: raise every capability in the inheritable and then the ambient set. */
export function raiseAmbient(): CredAction[] {
  return [raiseInheritable(), { kind: 'capedit', set: 'a', op: '+', mask: allMask(), text: 'a+all' }];
}

/** -X [peiba]{+|-}CAP: validated with the caps package's grammar, applied by the launcher. */
export function capEdit(text: string): CredAction {
  // applySetEdit carries the grammar and its errors ("Badly formed", "b+" refused).
  applySetEdit({ permitted: 0n, effective: 0n, inheritable: 0n, bounding: 0n, ambient: 0n }, text);
  const m = /^([peiba])([+-])(.+)$/.exec(text.trim())!;
  const names = m[3].split(',');
  const mask = names.some((n) => n.toLowerCase() === 'all')
    ? allMask()
    : names.reduce((acc, n) => acc | (1n << BigInt(capNumber(n))), 0n);
  return { kind: 'capedit', set: m[1] as 'p', op: m[2] as '+', mask, text };
}

/** -x CAPTEXT: the three sets from cap_from_text(3) syntax. */
export function capSet(text: string): CredAction {
  const sets = parseCapText(text);
  return { kind: 'capset', ...sets, text };
}

/** -s UID: setuid(UID), which for root sets all three uids. */
export function setUid(text: string): CredAction {
  const id = parseId(text, '-s');
  return { kind: 'setresuid', ids: [id, id, id] };
}

/** -S R,E,S: setresuid(R, E, S). */
export function setResUid(text: string): CredAction {
  const parts = text.split(',');
  if (parts.length !== 3) throw new UsageError(`-S takes RUID,EUID,SUID, got ${JSON.stringify(text)}`);
  return { kind: 'setresuid', ids: parts.map((p) => parseId(p, '-S')) as [number, number, number] };
}

/** -b BITS: securebits as letters (rRsSkKaA) or a number. */
export function setSecurebits(text: string): CredAction {
  return { kind: 'securebits', bits: parseSecurebits(text) };
}

/** -w SECS */
export function sleepFor(text: string): CredAction {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`-w takes a number of seconds, got ${JSON.stringify(text)}`);
  return { kind: 'sleep', seconds };
}

function parseId(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > 4294967294) throw new UsageError(`${flag} takes a numeric id, got ${JSON.stringify(text)}`);
  return n;
}

export { CapsError, lastCap };
