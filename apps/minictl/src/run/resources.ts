import { RLIM_INFINITY, RLIMIT } from '@minictl/native';
import type { MountSpec, Publish } from '@minictl/nsproc';
import { UsageError } from './parse';

type Limit = number | bigint;

/** `--ulimit NAME=SOFT[:HARD]` (nofile=1024:4096, core=0, stack=unlimited), as Docker spells it. */
export function parseUlimit(text: string): { type: string; soft: Limit; hard: Limit } {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid --ulimit ${JSON.stringify(text)}: expected NAME=SOFT[:HARD]`);
  const type = `RLIMIT_${m[1].toUpperCase()}`;
  if (!(type in RLIMIT))
    throw new UsageError(`unknown --ulimit name "${m[1]}": one of ${Object.keys(RLIMIT).map((k) => k.slice(7).toLowerCase()).join(', ')}`);
  const soft = limitValue(m[2], text);
  const hard = m[3] === undefined ? soft : limitValue(m[3], text);
  if (BigInt(soft) > BigInt(hard)) throw new UsageError(`invalid --ulimit ${text}: the soft limit is above the hard limit`);
  return { type, soft, hard };
}

function limitValue(v: string, text: string): Limit {
  if (v === 'unlimited' || v === '-1') return RLIM_INFINITY;
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid --ulimit ${text}: "${v}" is not a number or "unlimited"`);
  return Number(v);
}

/** The hard limits the caller has (/proc/self/limits): a container cannot raise them. */
export function checkAgainstHost(limits: { type: string; hard: Limit }[], procLimits: string): void {
  const names: Record<string, string> = {
    RLIMIT_CPU: 'Max cpu time', RLIMIT_FSIZE: 'Max file size', RLIMIT_DATA: 'Max data size', RLIMIT_STACK: 'Max stack size',
    RLIMIT_CORE: 'Max core file size', RLIMIT_RSS: 'Max resident set', RLIMIT_NPROC: 'Max processes', RLIMIT_NOFILE: 'Max open files',
    RLIMIT_MEMLOCK: 'Max locked memory', RLIMIT_AS: 'Max address space', RLIMIT_LOCKS: 'Max file locks',
    RLIMIT_SIGPENDING: 'Max pending signals', RLIMIT_MSGQUEUE: 'Max msgqueue size', RLIMIT_NICE: 'Max nice priority',
    RLIMIT_RTPRIO: 'Max realtime priority', RLIMIT_RTTIME: 'Max realtime timeout',
  };
  for (const l of limits) {
    const line = procLimits.split('\n').find((x) => x.startsWith(names[l.type]));
    const hard = line?.slice(26).trim().split(/\s+/)[1];
    if (!hard || hard === 'unlimited') continue;
    if (BigInt(l.hard) > BigInt(hard))
      throw new UsageError(`--ulimit ${l.type.slice(7).toLowerCase()}: the hard limit cannot go above yours (${hard}); lower it, or raise yours first (ulimit -H)`);
  }
}

/** `--memory 512m`: bytes, with an optional k, m or g suffix. */
export function parseMemory(text: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new UsageError(`invalid --memory ${JSON.stringify(text)}: expected a size such as 512m or 2g`);
  return Number(m[1]) * 1024 ** ['', 'k', 'm', 'g'].indexOf(m[2].toLowerCase());
}

export function parsePidsLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`invalid --pids-limit ${JSON.stringify(text)}: expected a positive number`);
  return Number(text);
}

/** `--tmpfs PATH[:OPTIONS]`, e.g. /run:size=64m,mode=755. */
export function parseTmpfs(text: string): MountSpec {
  const colon = text.indexOf(':');
  const target = colon < 0 ? text : text.slice(0, colon);
  const options = colon < 0 ? [] : text.slice(colon + 1).split(',').filter(Boolean);
  if (!target.startsWith('/') || target.split('/').includes('..') || target === '/')
    throw new UsageError(`invalid --tmpfs ${JSON.stringify(text)}: expected an absolute path other than /, then :OPTIONS`);
  return { destination: target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...options] };
}

/** `-p HOSTPORT:PORT[/tcp|udp]`. */
export function parsePublish(text: string): Publish {
  const m = /^(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text.trim());
  const ok = (n: number) => n >= 1 && n <= 65535;
  if (!m || !ok(Number(m[1])) || !ok(Number(m[2])))
    throw new UsageError(`invalid -p ${JSON.stringify(text)}: expected HOSTPORT:PORT[/tcp|udp] with ports 1-65535`);
  return { host: Number(m[1]), container: Number(m[2]), proto: (m[3] ?? 'tcp') as 'tcp' | 'udp' };
}
