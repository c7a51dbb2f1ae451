import { mkdirSync, readFileSync } from 'node:fs';
import { ImageError } from './errors';
import { writeJsonAtomic } from './records';
import type { Store } from './store';

/** NAME[:TAG] as docker spells it: lower-case path components, a tag of up to 128 characters. */
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** "name:tag" with the default tag "latest"; throws on a malformed reference. */
export function normalizeName(ref: string): string {
  const colon = ref.lastIndexOf(':');
  const [name, tag] = colon > ref.lastIndexOf('/') && colon >= 0 ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  if (!NAME.test(name) || !TAG.test(tag))
    throw new ImageError(
      `invalid image name ${JSON.stringify(ref)}: use lower-case letters, digits and . _ - / for NAME, and letters, digits, . _ - for TAG`,
      'name',
    );
  return `${name}:${tag}`;
}

/** Whether ref can be an image name at all (so a missing file is not mistaken for one). */
export function looksLikeName(ref: string): boolean {
  try {
    normalizeName(ref);
    return true;
  } catch {
    return false;
  }
}

/** name:tag -> image id, kept in $XDG_DATA_HOME/minictl/names.json. */
export function readNames(store: Store): Record<string, string> {
  try {
    const v = JSON.parse(readFileSync(store.names, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function writeNames(store: Store, names: Record<string, string>): void {
  mkdirSync(store.root, { recursive: true, mode: 0o700 });
  writeJsonAtomic(store.names, Object.fromEntries(Object.entries(names).sort(([a], [b]) => a.localeCompare(b))));
}

/** Names pointing at an image. */
export function namesOf(names: Record<string, string>, id: string): string[] {
  return Object.keys(names).filter((n) => names[n] === id);
}

/**
 * The image a user means: a name (name:tag), or an id or a unique prefix of at least 6 hex
 * digits. Undefined when nothing matches.
 */
export function lookupImage(store: Store, ref: string, ids: string[]): string | undefined {
  if (looksLikeName(ref)) {
    const hit = readNames(store)[normalizeName(ref)];
    if (hit) return hit;
  }
  const hex = ref.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{6,64}$/.test(hex)) return undefined;
  const matches = ids.filter((id) => id.startsWith(hex));
  if (matches.length > 1) throw new ImageError(`${ref} is ambiguous: it begins ${matches.length} image ids; give more digits`, 'name');
  return matches[0];
}
