import { createRequire } from 'node:module';
import * as path from 'node:path';

export * from './plan';

/** The in-process addon: file primitives resolved inside a root (fsops.h). Images are
 * unpacked by the minictl-unpack executable instead. */
export interface FsAddon {
  openRoot(path: string): number;
  close(fd: number): void;
  /** uid/gid (-1 or absent: keep the creator's) */
  mkfifo(root: number, rel: string, mode: number, uid?: number, gid?: number): void;
  /** a regular file's bytes (at most 4 MiB) */
  readFile(root: number, rel: string): Buffer;
  /** whether path carries the extended attribute name */
  hasXattr(path: string, name: string): boolean;
}

let buildDir = path.join(__dirname, '..', 'build', 'Release');

/**
 * Where the built launcher and addon are. A bundled or snapshotted CLI, whose modules no
 * longer sit beside this package, says so at start-up.
 */
export function useNativeBuild(dir: string): void {
  buildDir = dir;
}

let addon: FsAddon | undefined;
/** Loaded on first use: `minictl run` of a cached image never needs it. */
export function fsAddon(): FsAddon {
  const file = path.join(buildDir, 'minictl_native.node');
  // createRequire: a snapshot-started process has no module-local require for addons.
  addon ??= createRequire(file)(file) as FsAddon;
  return addon;
}

/** The image unpacker executable (unpack/main.c). */
export function unpackerPath(): string {
  return path.join(buildDir, 'minictl-unpack');
}

/** The launcher executable (launcher/main.c). */
export function launcherPath(): string {
  return path.join(buildDir, 'minictl-launcher');
}
