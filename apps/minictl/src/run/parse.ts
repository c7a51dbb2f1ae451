import { existsSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import type { MountSpec } from '@minictl/nsproc';

/** A usage mistake on the command line: exit 125 with this one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `-v HOSTPATH:PATH[:ro|rw]`; a relative host path is taken from the current directory. */
export function parseVolume(text: string, cwd = process.cwd()): MountSpec {
  const parts = text.split(':');
  const opt = parts.length === 3 ? parts[2] : undefined;
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1] || (opt !== undefined && opt !== 'ro' && opt !== 'rw'))
    throw new UsageError(`invalid volume ${JSON.stringify(text)}: expected HOSTPATH:PATH[:ro]`);
  if (!posix.isAbsolute(parts[1]) || parts[1].split('/').includes('..') || posix.normalize(parts[1]) === '/')
    throw new UsageError(`invalid volume ${JSON.stringify(text)}: the container path must be absolute, without "..", and not /`);
  const source = resolve(cwd, parts[0]);
  if (!existsSync(source)) throw new UsageError(`invalid volume ${JSON.stringify(text)}: ${source} does not exist`);
  return { destination: posix.normalize(parts[1]), type: 'bind', source, options: ['rbind', opt ?? 'rw'] };
}

/** `-e KEY=VAL`, or `-e KEY` to pass the host's value through (as docker does). */
export function parseEnvArg(text: string, hostEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (!/^[^=\s]+$/.test(key)) throw new UsageError(`invalid environment variable ${JSON.stringify(text)}: expected KEY=VALUE`);
  if (eq >= 0) return text;
  const v = hostEnv[key];
  return v === undefined ? undefined : `${key}=${v}`;
}

/** An env file: KEY=VALUE lines; blank lines and # comments are skipped. */
export function parseEnvFile(text: string, file: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    try {
      const e = parseEnvArg(line, hostEnv);
      if (e !== undefined) out.push(e);
    } catch {
      throw new UsageError(`${file}:${i + 1}: expected KEY=VALUE, got ${JSON.stringify(line)}`);
    }
  }
  return out;
}

/** Later entries win, keeping the position of the first: defaults, then files, then -e. */
export function mergeEnv(...lists: string[][]): string[] {
  const m = new Map<string, string>();
  for (const list of lists) for (const e of list) m.set(e.slice(0, e.indexOf('=')), e);
  return [...m.values()];
}
