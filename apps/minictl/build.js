// Bundle the CLI into one file (dist/minictl.js) and build a V8 start-up snapshot from it
// (dist/minictl.blob) for the node that runs this build. bin/minictl uses the snapshot when
// it was made by the node it is about to run, the plain bundle otherwise.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const dist = path.join(__dirname, 'dist');
const bundle = path.join(dist, 'minictl.js');
const blob = path.join(dist, 'minictl.blob');

esbuild.buildSync({
  entryPoints: [path.join(dist, 'entry.js')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'iife',
  outfile: bundle,
  logLevel: 'warning',
});

fs.rmSync(blob, { force: true });
execFileSync(process.execPath, ['--no-warnings', '--snapshot-blob', blob, '--build-snapshot', bundle], { stdio: 'inherit' });
// Which node made the blob: bin/minictl compares it with the node it finds.
fs.writeFileSync(`${blob}.node`, `${fs.realpathSync(process.execPath)} ${process.version}\n`);
