import * as fs from 'node:fs';
import type { ContainerSpec } from '@minictl/nsproc';
import type { RootMode } from '@minictl/rootfs';
import { mergeEnv, parseEnvArg, parseEnvFile, parseVolume, UsageError } from './parse';

export interface RunOptions {
  env: string[];
  envFile: string[];
  workdir?: string;
  volume: string[];
  hostname?: string;
  readOnly?: boolean;
  init: boolean;
  tty?: boolean;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SpecInputs {
  id: string;
  rootfs: string;
  rootMode: RootMode;
  args: string[];
  opts: RunOptions;
  terminal: boolean;
  uid: number;
  gid: number;
  hostEnv?: NodeJS.ProcessEnv;
}

/** The ContainerSpec for `minictl run`: flags over minictl's defaults. */
export function specFromOptions(i: SpecInputs): ContainerSpec {
  const hostEnv = i.hostEnv ?? process.env;
  const hostname = i.opts.hostname ?? i.id.slice(0, 12);
  const defaults = [`PATH=${DEFAULT_PATH}`, 'HOME=/root', `HOSTNAME=${hostname}`];
  if (i.terminal) defaults.push(`TERM=${hostEnv.TERM || 'xterm'}`);
  const files = i.opts.envFile.flatMap((f) => parseEnvFile(readText(f), f, hostEnv));
  const flags = i.opts.env.map((e) => parseEnvArg(e, hostEnv)).filter((e): e is string => e !== undefined);
  const cwd = i.opts.workdir ?? '/';
  if (!cwd.startsWith('/')) throw new UsageError(`--workdir must be an absolute path inside the container, got ${JSON.stringify(cwd)}`);
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: i.terminal,
      user: { uid: 0, gid: 0 },
      args: i.args,
      env: mergeEnv(defaults, files, flags),
      cwd,
      noNewPrivileges: true,
    },
    root: { path: i.rootfs, readonly: i.rootMode === 'readonly' },
    hostname,
    mounts: i.opts.volume.map((v) => parseVolume(v)),
    linux: {
      namespaces: ['user', 'mount', 'pid', 'uts', 'ipc', 'network'].map((type) => ({ type }) as { type: 'user' }),
      uidMappings: [{ containerID: 0, hostID: i.uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: i.gid, size: 1 }],
    },
    minictl: { init: i.opts.init, rootMode: i.rootMode, setgroups: 'deny', useIdHelpers: false },
  };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read env file ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
}
