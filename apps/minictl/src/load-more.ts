import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import coreModules, { moreName } from 'minictl:core-modules';
import type * as More from './more';

let dist: string | undefined;
let loaded: typeof More | undefined;

/** Where the other commands' bundle is (dist/): the entry point knows where this build lives. */
export function setMoreDir(dir: string): void {
  dist = dir;
}

/**
 * The other commands (more.ts), loaded on first use, with the code cache build.js made of them
 * where this node accepts it (both named by the bundle's content: build.js's writeMore). Their
 * bundle is a function of the modules it shares with this one (output, the packages' state,
 * commander), given as `core`: the modules of this bundle that build.js exports to it, so both
 * see one state.
 */
export function more(): typeof More {
  if (!loaded) {
    const file = join(dist!, `${moreName}.js`);
    const script = new Script(readFileSync(file, 'utf8'), { filename: file, cachedData: readOptional(join(dist!, `${moreName}.cache`)) });
    const module = { exports: {} as typeof More };
    script.runInThisContext()(require, module, module.exports, coreModules);
    loaded = module.exports;
  }
  return loaded;
}

function readOptional(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Forgets the bundle once the start-up snapshot's warm-up has used it (to compile the default
 * seccomp filter): what it made stays in the snapshot, its code does not.
 */
export function dropMore(): void {
  loaded = undefined;
}
