import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IdMapError } from '../src/errors';
import { parseIdMap } from '../src/map';
import { helperArgs, startMaps } from '../src/write';

const uidMap = parseIdMap('0 1000 1,1 100000 65536', 'uid');
const gidMap = parseIdMap('0 1000 1,1 200000 65536', 'gid');
const single = parseIdMap('0 1000 1', 'uid');

/** Start and wait, a failure of either as a rejection. */
const writeMaps = async (...args: Parameters<typeof startMaps>): Promise<void> => startMaps(...args).done();

async function rejection(p: Promise<unknown>): Promise<IdMapError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IdMapError);
  return err as IdMapError;
}

describe('helperArgs', () => {
  it('flattens the records after the pid', () => {
    expect(helperArgs(4242, uidMap)).toEqual(['4242', '0', '1000', '1', '1', '100000', '65536']);
  });
});

describe('startMaps, then done', () => {
  const root = mkdtempSync(join(tmpdir(), 'idmap-write-'));
  const proc = join(root, 'proc');
  const pidDir = join(proc, '77');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // Stand-ins for /proc/77's files: the code opens them O_WRONLY without O_CREAT, as on procfs.
  beforeEach(() => {
    rmSync(proc, { recursive: true, force: true });
    mkdirSync(pidDir, { recursive: true });
    for (const f of ['setgroups', 'uid_map', 'gid_map']) writeFileSync(join(pidDir, f), '');
  });
  const read = (f: string): string => readFileSync(join(pidDir, f), 'utf8');

  function fakeHelper(name: string, body: string): string {
    const path = join(root, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return path;
  }

  it('direct: writes deny, then both maps in the kernel format', async () => {
    await writeMaps(77, single, parseIdMap('0 1001 1', 'gid'), { useHelpers: false, setgroups: 'deny', procRoot: proc });
    expect(read('setgroups')).toBe('deny');
    expect(read('uid_map')).toBe('0 1000 1\n');
    expect(read('gid_map')).toBe('0 1001 1\n');
  });

  it('direct: refuses setgroups allow before writing anything', async () => {
    const e = await rejection(writeMaps(77, single, single, { useHelpers: false, setgroups: 'allow', procRoot: proc }));
    expect(e.step).toBe('setgroups');
    expect(read('setgroups')).toBe('');
    expect(read('uid_map')).toBe('');
  });

  it('direct: reports the file and errno when a write fails', async () => {
    const e = await rejection(writeMaps(78, single, single, { useHelpers: false, setgroups: 'deny', procRoot: proc }));
    expect(e.step).toBe(`write ${proc}/78/setgroups`);
    expect(e.errno).toBe('ENOENT');
    expect(e.message).toBe(`write ${proc}/78/setgroups: ENOENT: the process has exited, or this kernel has no user namespaces`);
  });

  it('validates maps and pid before writing', async () => {
    await expect(writeMaps(0, single, single, { useHelpers: false, setgroups: 'deny', procRoot: proc })).rejects.toThrow(/invalid pid 0/);
    await expect(writeMaps(77, [], single, { useHelpers: false, setgroups: 'deny', procRoot: proc })).rejects.toThrow(/empty uid map/);
    expect(read('setgroups')).toBe('');
  });

  it('helpers: writes deny, then runs both helpers concurrently with flattened records', async () => {
    const log = join(root, 'log');
    // newuidmap waits for newgidmap to have started: it passes only if both run at once.
    const newuidmap = fakeHelper(
      'fake-newuidmap',
      `i=0; while [ ! -e "${log}.gid" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i+1)); done\n[ -e "${log}.gid" ] || exit 3\necho "$@" > "${log}.uid"`,
    );
    const newgidmap = fakeHelper('fake-newgidmap', `echo "$@" > "${log}.gid"`);
    await writeMaps(77, uidMap, gidMap, { useHelpers: true, setgroups: 'deny', procRoot: proc, newuidmap, newgidmap });
    expect(read('setgroups')).toBe('deny');
    expect(readFileSync(`${log}.uid`, 'utf8')).toBe('77 0 1000 1 1 100000 65536\n');
    expect(readFileSync(`${log}.gid`, 'utf8')).toBe('77 0 1000 1 1 200000 65536\n');
  });

  it('helpers: leaves setgroups alone when allowed', async () => {
    const ok = fakeHelper('fake-ok', 'exit 0');
    await writeMaps(77, uidMap, gidMap, { useHelpers: true, setgroups: 'allow', procRoot: proc, newuidmap: ok, newgidmap: ok });
    expect(read('setgroups')).toBe('');
  });

  it("helpers: a failure carries the helper's first stderr line and the remedy", async () => {
    const ok = fakeHelper('fake-ok', 'exit 0');
    const bad = fakeHelper('fake-bad', 'echo "newgidmap: gid range [1-65537) -> [200000-265536) not allowed" >&2\necho second >&2\nexit 1');
    const e = await rejection(
      writeMaps(77, uidMap, gidMap, { useHelpers: true, setgroups: 'allow', procRoot: proc, newuidmap: ok, newgidmap: bad }),
    );
    expect(e.step).toBe('newgidmap');
    expect(e.errno).toBeUndefined();
    expect(e.message).toBe(
      'newgidmap 77 0 1000 1 1 200000 65536 failed: newgidmap: gid range [1-65537) -> [200000-265536) not allowed: check that /etc/subgid grants these ids to you and that newgidmap is setuid root',
    );
  });

  it('helpers: a missing helper says which package to install', async () => {
    const e = await rejection(
      writeMaps(77, uidMap, gidMap, {
        useHelpers: true,
        setgroups: 'allow',
        procRoot: proc,
        newuidmap: join(root, 'no-such-newuidmap'),
        newgidmap: join(root, 'no-such-newgidmap'),
      }),
    );
    expect(e.step).toBe('newuidmap');
    expect(e.errno).toBe('ENOENT');
    expect(e.message).toMatch(/failed: ENOENT: install the "uidmap" package/);
  });
});
