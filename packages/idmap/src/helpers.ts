import { fsAddon } from '@minictl/native';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export type HelperName = 'newuidmap' | 'newgidmap';

export interface HelperStatus {
  /** Where the helper was found (first executable match on PATH). */
  path?: string;
  /** True when it can write ranged maps for an unprivileged caller. */
  usable: boolean;
  /** Why it is not usable, with the remedy. */
  reason?: string;
}

/** Searched when PATH is unset: where distributions install the helpers. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
/** The set-user-ID bit of st_mode (Node's fs.constants lacks it). */
const S_ISUID = 0o4000;

/** Does the file carry capabilities (security.capability), as Fedora installs the helpers? */
export type FileCapsCheck = (path: string) => boolean;

const hasFileCaps: FileCapsCheck = (path) => fsAddon().hasXattr(path, 'security.capability');

/**
 * Finds a helper the way execvp would and checks that it can do its job: setuid root, or
 * installed with file capabilities instead.
 */
export function findHelper(name: HelperName, pathEnv: string | undefined = process.env.PATH, fileCaps: FileCapsCheck = hasFileCaps): HelperStatus {
  // Relative PATH entries would resolve against the cwd: never trust them for a setuid helper.
  const dirs = (pathEnv ?? DEFAULT_PATH).split(delimiter).filter((d) => isAbsolute(d));
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      const st = statSync(path);
      if (!st.isFile()) continue;
      if ((st.uid === 0 && (st.mode & S_ISUID) !== 0) || fileCaps(path)) return { path, usable: true };
      return {
        path,
        usable: false,
        reason: `${path} is installed without its setuid bit or file capabilities (reinstall the "uidmap" package)`,
      };
    } catch {
      // Not there or not executable: keep searching, as execvp does.
    }
  }
  return { usable: false, reason: `${name} not found: install the "uidmap" package (apt-get install uidmap)` };
}
