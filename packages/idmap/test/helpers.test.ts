import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findHelper } from '../src/helpers';

describe('findHelper', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idmap-helpers-'));
  const empty = join(dir, 'empty');
  const plain = join(dir, 'plain');
  mkdirSync(empty);
  mkdirSync(plain);
  writeFileSync(join(plain, 'newuidmap'), '#!/bin/sh\n', { mode: 0o755 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing helper with the package to install', () => {
    expect(findHelper('newgidmap', empty)).toEqual({
      usable: false,
      reason: 'newgidmap not found: install the "uidmap" package (apt-get install uidmap)',
    });
  });

  it('reports a helper without the setuid bit as unusable', () => {
    const path = join(plain, 'newuidmap');
    expect(findHelper('newuidmap', `${empty}:${plain}`)).toEqual({
      path,
      usable: false,
      reason: `${path} is installed without its setuid bit or file capabilities (reinstall the "uidmap" package)`,
    });
  });

  it('skips relative PATH entries and non-executable files', () => {
    const noexec = join(dir, 'noexec');
    mkdirSync(noexec);
    writeFileSync(join(noexec, 'newuidmap'), '', { mode: 0o644 });
    expect(findHelper('newuidmap', `relative:${noexec}:${empty}`).path).toBeUndefined();
  });

  // Only root can make a file that is owned by root and setuid.
  it.skipIf(process.getuid?.() !== 0)('accepts a setuid-root helper', () => {
    const suid = join(dir, 'suid');
    mkdirSync(suid);
    writeFileSync(join(suid, 'newuidmap'), '#!/bin/sh\n');
    chmodSync(join(suid, 'newuidmap'), 0o4755);
    expect(findHelper('newuidmap', suid)).toEqual({ path: join(suid, 'newuidmap'), usable: true });
  });
});

describe('findHelper with file capabilities', () => {
  it('accepts a helper installed with file capabilities instead of the setuid bit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minictl-caps-helper-'));
    try {
      const file = join(dir, 'newuidmap');
      writeFileSync(file, '');
      chmodSync(file, 0o755);
      expect(findHelper('newuidmap', dir, () => true)).toEqual({ path: file, usable: true });
      expect(findHelper('newuidmap', dir, () => false).usable).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
