import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDefaults } from './image-config';
import type { Store } from './store';

/** What the cache keeps about an image, next to its trees: images/<id>/config.json. */
export interface ImageRecord {
  id: string;
  format: 'rootfs' | 'docker-save' | 'oci';
  defaults: ImageDefaults;
  platform?: string;
  layers: number;
  /** bytes of regular-file content */
  size: number;
  /** when it was imported (ISO 8601) */
  imported: string;
  /** the file or directory it came from */
  source: string;
}

export function recordPath(store: Store, id: string): string {
  return join(store.images, id, 'config.json');
}

export function readRecord(store: Store, id: string): ImageRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(store, id), 'utf8')) as ImageRecord;
  } catch {
    return undefined;
  }
}

/** Written atomically: a reader sees the old record or the new one. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Every cached image with a record, oldest import first. */
export function listRecords(store: Store): ImageRecord[] {
  const ids = existsSync(store.images) ? readdirSync(store.images).filter((n) => /^[0-9a-f]{64}$/.test(n)) : [];
  return ids
    .map((id) => readRecord(store, id))
    .filter((r): r is ImageRecord => r !== undefined)
    .sort((a, b) => a.imported.localeCompare(b.imported));
}

/** The unpacked trees of an image: rootfs (the caller's ids) and rootfs-<mapping> (a range). */
export function treesOf(store: Store, id: string): string[] {
  const dir = join(store.images, id);
  return existsSync(dir) ? readdirSync(dir).filter((n) => /^rootfs(-[0-9a-f]+)?$/.test(n)).map((n) => join(dir, n)) : [];
}
