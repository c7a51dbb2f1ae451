import { describe, expect, it } from 'vitest';
import { formatSize, formatTable, rowsOf } from '../src/images/list';
import { progressBar, renderProgress } from '../src/images/progress';
import { commandFor } from '../src/run/image-defaults';

describe('commandFor: image Entrypoint + Cmd under the flags', () => {
  const image = { entrypoint: ['/entry'], cmd: ['--serve'] };
  it('runs Entrypoint + Cmd by default', () => expect(commandFor(image, undefined, [])).toEqual(['/entry', '--serve']));
  it('replaces Cmd with the command given', () => expect(commandFor(image, undefined, ['--once'])).toEqual(['/entry', '--once']));
  it('replaces Entrypoint and drops Cmd with --entrypoint', () => expect(commandFor(image, '/bin/sh', [])).toEqual(['/bin/sh']));
  it("clears the Entrypoint with --entrypoint ''", () => expect(commandFor(image, '', ['ls'])).toEqual(['ls']));
  it('falls back to /bin/sh for an image without either', () => expect(commandFor({}, undefined, [])).toEqual(['/bin/sh']));
  it('runs Cmd alone', () => expect(commandFor({ cmd: ['nginx'] }, undefined, [])).toEqual(['nginx']));
});

describe('images: table and sizes', () => {
  const records = [
    { id: 'a'.repeat(64), format: 'oci' as const, defaults: {}, layers: 2, size: 5_300_000, imported: '2026-01-01T00:00:00Z', source: '/x' },
    { id: 'b'.repeat(64), format: 'rootfs' as const, defaults: {}, layers: 1, size: 900, imported: '2026-01-01T00:00:30Z', source: '/y' },
  ];
  it('prints one line per name, newest first, <none> for unnamed images', () => {
    const rows = rowsOf(records, { 'web:1': 'a'.repeat(64), 'web:latest': 'a'.repeat(64) });
    expect(formatTable(rows, Date.parse('2026-01-01T00:01:00Z')).split('\n')).toEqual([
      'NAME    TAG     IMAGE ID      FORMAT  SIZE    IMPORTED',
      '<none>  <none>  bbbbbbbbbbbb  rootfs  900 B   30 seconds ago',
      'web     1       aaaaaaaaaaaa  oci     5.3 MB  1 minutes ago',
      'web     latest  aaaaaaaaaaaa  oci     5.3 MB  1 minutes ago',
      '',
    ]);
    expect(formatSize(2_500_000_000)).toBe('2.50 GB');
  });
});

describe('progress bar', () => {
  it('shows bytes of the total, entries and rate', () => {
    const p = { phase: 'archive' as const, bytes: 60e6, total: 120e6, entries: 3210 };
    expect(renderProgress('x.tar', p, 2, 200)).toBe('importing x.tar [##########..........] 50% 60.0/120.0 MB 3210 entries 30.0 MB/s');
    expect(renderProgress('x.tar', p, 2, 20)).toHaveLength(19);
  });

  it('draws nothing when stderr is not a terminal or with --quiet', () => {
    const written: string[] = [];
    const fake = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressBar('x', false, fake);
    bar.update({ phase: 'archive', bytes: 1, total: 2, entries: 1 });
    bar.done();
    const quiet = progressBar('x', true, { ...fake, isTTY: true } as unknown as NodeJS.WriteStream);
    quiet.update({ phase: 'archive', bytes: 1, total: 2, entries: 1 });
    expect(written).toEqual([]);
  });
});
