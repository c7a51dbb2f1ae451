#!/usr/bin/env node
// Import benchmark: `minictl import` of a root-filesystem tarball side by side with GNU tar
// extracting the same archive to the same filesystem, interleaved round by round so that
// machine noise (and the disk's writeback) hits every command alike. Each run starts from an
// empty cache, after a sync; clean-up happens outside the timings. Prints medians and ratios.
// Run through bench/import.sh (it builds the Debian tarball and drops root).
'use strict';
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
const cli = path.join(repo, 'apps', 'minictl', 'bin', 'minictl');
const rounds = Math.max(5, Number(process.env.ROUNDS || 5));
const archive = process.argv[2];
if (!archive) throw new Error('usage: import.js ARCHIVE.tar');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'minictl-bench-import-'));
process.on('exit', () => {
  spawnSync(cli, ['prune'], { env: { ...process.env, XDG_DATA_HOME: path.join(scratch, 'data') }, stdio: 'ignore' });
  fs.rmSync(scratch, { recursive: true, force: true });
});

const candidates = [
  { name: 'GNU tar -xf', run: (dir) => ['tar', '-C', dir, '-xf', archive] },
  { name: 'minictl import (subuid range, owners kept)', run: () => [cli, 'import', '-q', archive], store: true },
  { name: 'minictl import --userns root', run: () => [cli, 'import', '-q', '--userns', 'root', archive], store: true },
];

const times = new Map(candidates.map((c) => [c.name, []]));
for (let i = 0; i < rounds; i++) {
  for (const c of candidates) {
    const dir = path.join(scratch, 'out');
    fs.mkdirSync(dir, { recursive: true });
    const env = { ...process.env, XDG_DATA_HOME: path.join(scratch, 'data') };
    execFileSync('sync');
    const argv = c.run(dir);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${c.name} failed in round ${i}: ${r.stderr}`);
    times.get(c.name).push(s);
    // Clean up outside the timing: trees under subordinate ids go through minictl prune.
    if (c.store) spawnSync(cli, ['prune'], { env, stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(scratch, 'data'), { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const tar = median(times.get('GNU tar -xf'));
const rows = candidates.map((c) => {
  const m = median(times.get(c.name));
  return [c.name, m.toFixed(3), (m / tar).toFixed(2), times.get(c.name).map((t) => t.toFixed(2)).join(' ')];
});
const st = fs.statSync(archive);
const entries = execFileSync('tar', ['-tf', archive], { maxBuffer: 1 << 28 }).toString().split('\n').filter(Boolean).length;
const head = ['command', 'median s', 'ratio to GNU tar', 'all runs (s)'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i === 0 || i === 3 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
console.log(`\nimport of ${path.basename(archive)} (${(st.size / 1e6).toFixed(1)} MB, ${entries} entries), ${rounds} rounds, ${os.cpus().length} cpus, kernel ${os.release()}`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
