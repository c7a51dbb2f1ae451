import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Where minictl keeps its images and where per-run state lives (DESIGN.md §5). */
export interface Store {
  /** $XDG_DATA_HOME/minictl */
  root: string;
  /** images/<sha256>/rootfs, one directory per unpacked archive */
  images: string;
  /** An always-empty directory: each container mounts its private scratch tmpfs here. */
  mnt: string;
  /** archive path + identity -> digest, so an unchanged file is not hashed again */
  index: string;
  /** name:tag -> image id */
  names: string;
}

export function storeFor(env: NodeJS.ProcessEnv = process.env): Store {
  const data = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME)
    ? env.XDG_DATA_HOME
    : join(env.HOME || homedir(), '.local', 'share');
  const root = join(data, 'minictl');
  return {
    root,
    images: join(root, 'images'),
    mnt: join(root, 'mnt'),
    index: join(root, 'index.json'),
    names: join(root, 'names.json'),
  };
}
