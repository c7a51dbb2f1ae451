#!/usr/bin/env node
// Warm-start benchmark: time `minictl run IMAGE true` on a cached image side by side with
// `node -e 0` (minictl's floor: it is a Node program) and the container tools installed here,
// in one run, interleaved round by round so that machine noise hits every command alike.
// Prints the median and ratios. Run through bench/run.sh (it drops root and builds the image).
'use strict';
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repo = path.resolve(__dirname, '..');
// The CLI is one executable (a copy of node with its start-up snapshot inside); bin/minictl,
// the script npm links for npx, adds a shell's start to it and is measured on its own row.
const cli = path.join(repo, 'apps', 'minictl', 'dist', 'minictl');
const script = path.join(repo, 'apps', 'minictl', 'bin', 'minictl');
const rounds = Number(process.env.ROUNDS || 30);
const image = process.argv[2];
if (!image) throw new Error('usage: start.js IMAGE.tar.gz');

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'minictl-bench-'));
// ch-run wants $USER; as-unprivileged.sh sets it, a bare environment may not
const env = { USER: os.userInfo().username, ...process.env, XDG_DATA_HOME: data };
process.on('exit', () => fs.rmSync(data, { recursive: true, force: true }));

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

// Import once: the benchmark is about starting a container from the cache.
execFileSync(cli, ['run', image, 'true'], { env, stdio: 'inherit' });
// The copy of the build (scripts/as-unprivileged.sh) and the import leave a few hundred MB to
// write back to disk, which the kernel would do during the first rounds (30 s later): flush it.
execFileSync('sync');
// The unpacked tree: rootfs, or rootfs-<mapping> when unpacked under a subuid range (beside
// the image's config.json).
const images = path.join(data, 'minictl', 'images');
const digest = path.join(images, fs.readdirSync(images)[0]);
const rootfs = path.join(digest, fs.readdirSync(digest).find((n) => n.startsWith('rootfs')));

const candidates = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'minictl run IMAGE true', argv: [cli, 'run', image, 'true'] },
  { name: 'minictl run --no-init IMAGE true', argv: [cli, 'run', '--no-init', image, 'true'] },
  { name: 'minictl run --userns root IMAGE true', argv: [cli, 'run', '--userns', 'root', image, 'true'] },
  { name: 'bin/minictl run IMAGE true (the npm script)', argv: [script, 'run', image, 'true'] },
  which('bwrap') && {
    name: 'bwrap (all namespaces, /proc, /dev)',
    argv: ['bwrap', '--unshare-all', '--die-with-parent', '--bind', rootfs, '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'],
  },
  which('unshare') && {
    name: 'unshare -Urmuinpf + chroot',
    // chroot lives in /usr/sbin, which an ordinary user's PATH may lack
    argv: ['unshare', '-Urmuinpf', which('chroot') ?? '/usr/sbin/chroot', rootfs, '/bin/true'],
  },
  which('ch-run') && { name: 'ch-run (charliecloud)', argv: ['ch-run', rootfs, '--', '/bin/true'] },
].filter(Boolean);

// Keep only what works on this machine, and say why the rest was left out.
const runnable = candidates.filter((c) => {
  const r = spawnSync(c.argv[0], c.argv.slice(1), { env, encoding: 'utf8' });
  if (r.status === 0) return true;
  console.log(`skipped ${c.name}: ${(r.stderr || String(r.error)).trim().split('\n')[0]}`);
  return false;
});

const times = new Map(runnable.map((c) => [c.name, []]));
// A new order each round: a container's namespaces are torn down in the background after
// it exits (the network namespace's cleanup runs in a kernel worker), which slows whatever
// runs next; in a fixed order the same command would always pay for it.
const shuffled = (xs) => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};
// The first rounds are not counted: they bring each program's pages into memory (the build
// was just copied, and this machine's kernel reclaims pages that have not been used lately).
const warmUp = Math.max(5, Math.round(rounds / 10));
for (let i = -warmUp; i < rounds; i++) {
  for (const c of shuffled(runnable)) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.argv[0], c.argv.slice(1), { env, stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${c.name} failed in round ${i}`);
    if (i >= 0) times.get(c.name).push(ms);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const node = median(times.get('node -e 0'));
const minictl = median(times.get('minictl run IMAGE true'));
// Above node -e 0: the median of the differences within each round, where both ran under the
// same load (the machine's speed drifts by a few ms over a run; a difference of medians
// carries that drift, a median of paired differences does not).
const above = (name) => median(times.get(name).map((t, i) => t - times.get('node -e 0')[i]));
const rows = runnable.map((c) => {
  const m = median(times.get(c.name));
  return [c.name, m.toFixed(1), (m / minictl).toFixed(2), above(c.name).toFixed(1)];
});
const head = ['command', 'median ms', 'ratio to minictl', 'ms above node -e 0'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
console.log(`\nwarm start, ${rounds} rounds, ${os.cpus().length} cpus, kernel ${os.release()}`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
console.log(`\nminictl start-up above node -e 0: ${above('minictl run IMAGE true').toFixed(1)} ms (target: at most 10 ms)`);
