import * as path from 'node:path';

export * from './plan';

/** The in-process addon: image-unpacking primitives resolved inside a root (fsops.h). */
export interface FsAddon {
  openRoot(path: string): number;
  close(fd: number): void;
  mkdir(root: number, rel: string, mode: number): void;
  writeFile(root: number, rel: string, mode: number, chunks: Buffer[], mtime?: number): void;
  symlink(root: number, rel: string, target: string, mtime?: number): void;
  link(root: number, rel: string, targetRel: string): void;
  mkfifo(root: number, rel: string, mode: number): void;
  finishDir(root: number, rel: string, mode: number, mtime?: number): void;
}

const buildDir = path.join(__dirname, '..', 'build', 'Release');

let addon: FsAddon | undefined;
/** Loaded on first use: `minictl run` of a cached image never needs it. */
export function fsAddon(): FsAddon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  addon ??= require(path.join(buildDir, 'minictl_native.node')) as FsAddon;
  return addon;
}

/** The launcher executable (launcher/main.c). */
export const launcherPath = path.join(buildDir, 'minictl-launcher');
