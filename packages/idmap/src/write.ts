import { closeSync, openSync, writeSync, constants } from 'node:fs';
import { startAll, signalName, type Finished } from '@minictl/native';
import { IdMapError } from './errors';
import { formatIdMap, validateIdMap, type IdMap } from './map';

export interface WriteMapsOptions {
  /** Run newuidmap/newgidmap (needed for subordinate ranges) instead of writing /proc directly. */
  useHelpers: boolean;
  /** What /proc/PID/setgroups should say; a direct gid_map write needs 'deny'. */
  setgroups: 'allow' | 'deny';
  /** Helper paths (e.g. findHelper(...).path); default: looked up on PATH. */
  newuidmap?: string;
  newgidmap?: string;
  /** Where procfs is mounted; default '/proc'. */
  procRoot?: string;
  /** A project id map, written directly after the others (no privilege is needed for it). */
  projidMap?: IdMap;
}

/** argv for newuidmap/newgidmap: the pid, then each record's three numbers. */
export function helperArgs(pid: number, map: IdMap): string[] {
  return [String(pid), ...map.flatMap((r) => [String(r.inside), String(r.outside), String(r.length)])];
}

const WRITE_HINTS: Record<string, string> = {
  EPERM: 'each map can be written only once (setgroups only before gid_map), and without newuidmap/newgidmap only your own id may be mapped (use the subuid mode for ranges)',
  EACCES: 'only the process owner may write its maps',
  EINVAL: 'the kernel rejected the content (overlapping or out-of-range ids, or the map was already written)',
  ENOENT: 'the process has exited, or this kernel has no user namespaces',
  ESRCH: 'the process has exited',
};

/**
 * Writes a /proc map file. The kernel parses a map in ONE write(2) at offset 0 and
 * refuses a second one, so the whole content goes in a single writeSync.
 */
function writeProcFile(path: string, content: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY);
    const buf = Buffer.from(content);
    const n = writeSync(fd, buf, 0, buf.length, null);
    if (n !== buf.length) {
      throw new IdMapError(`write ${path}`, `write ${path}: short write (${n} of ${buf.length} bytes): the map is too long for one write; use fewer records`);
    }
  } catch (err) {
    if (err instanceof IdMapError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const hint = WRITE_HINTS[code];
    throw new IdMapError(`write ${path}`, `write ${path}: ${code}${hint ? `: ${hint}` : ''}`, code);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A helper's failure, with the remedy; undefined when it succeeded. */
function helperError(step: 'newuidmap' | 'newgidmap', args: string[], r: Finished): IdMapError | undefined {
  if (!r.error && r.code === 0) return undefined;
  const code = r.error?.code;
  const firstLine = r.stderr.split('\n').find((l) => l.trim() !== '')?.trim();
  const what = code ?? firstLine ?? (r.signal !== null ? `killed by ${signalName(r.signal)}` : `exit status ${r.code}`);
  const fix =
    code === 'ENOENT'
      ? 'install the "uidmap" package (apt-get install uidmap)'
      : `check that ${step === 'newuidmap' ? '/etc/subuid' : '/etc/subgid'} grants these ids to you and that ${step} is setuid root`;
  return new IdMapError(step, `${step} ${args.join(' ')} failed: ${what}: ${fix}`, code);
}


/** Maps being written: done() waits for the helpers still running and throws their failure. */
export interface MapsInProgress {
  done(): void;
}

/**
 * Writes the uid and gid maps of process `pid` (held by the launcher until they are written):
 * direct writes at once; newuidmap and newgidmap are started side by side and run on while
 * the caller works, until done(). Everything is synchronous: three small /proc writes are
 * cheaper than a trip through the thread pool.
 */
export function startMaps(pid: number, uidMap: IdMap, gidMap: IdMap, opts: WriteMapsOptions): MapsInProgress {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new IdMapError('write maps', `invalid pid ${pid}: expected a positive integer`);
  }
  validateIdMap(uidMap, 'uid');
  validateIdMap(gidMap, 'gid');
  const dir = `${opts.procRoot ?? '/proc'}/${pid}`;
  const projid = () => {
    if (opts.projidMap) writeProcFile(`${dir}/projid_map`, formatIdMap(opts.projidMap));
  };

  if (!opts.useHelpers) {
    if (opts.setgroups === 'allow') {
      // The kernel refuses an unprivileged gid_map write while setgroups is allowed.
      throw new IdMapError(
        'setgroups',
        'setgroups "allow" needs newgidmap: without the helpers gid_map can be written only after "deny"; use setgroups deny or the subuid mode',
      );
    }
    writeProcFile(`${dir}/setgroups`, 'deny');
    writeProcFile(`${dir}/uid_map`, formatIdMap(uidMap));
    writeProcFile(`${dir}/gid_map`, formatIdMap(gidMap));
    projid();
    return { done: () => undefined };
  }
  // newgidmap writes gid_map as is; writing "deny" first is how setgroups is refused.
  if (opts.setgroups === 'deny') writeProcFile(`${dir}/setgroups`, 'deny');
  const uidArgs = helperArgs(pid, uidMap);
  const gidArgs = helperArgs(pid, gidMap);
  const running = startAll([
    { file: opts.newuidmap ?? 'newuidmap', args: uidArgs },
    { file: opts.newgidmap ?? 'newgidmap', args: gidArgs },
  ]);
  return {
    done() {
      const [uid, gid] = running.finish();
      const failure = helperError('newuidmap', uidArgs, uid) ?? helperError('newgidmap', gidArgs, gid);
      if (failure) throw failure;
      projid();
    },
  };
}
