// The script node runs to build the CLI's start-up snapshot (build.js), never at run time.
//
// It compiles the bundle (dist/minictl.js) with V8's lazy compilation off, then runs it: every
// function of the CLI then has its bytecode in the snapshot, where a start would otherwise
// compile each function the first time it is called (~140 on a `run`, ~2 ms). Node's own
// modules stay lazy: that would add megabytes of bytecode for functions no start calls.
// V8 keeps the flag's setting in the snapshot's checksum, so it is back on before anything is
// stored (a mismatch would be refused at start; build.js tries the executable).
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');

const bundle = join(__dirname, 'dist', 'minictl.js');
const source = `(function (require, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`;
setFlagsFromString('--no-lazy');
let run;
try {
  run = new Script(source, { filename: bundle }).runInThisContext();
} finally {
  setFlagsFromString('--lazy');
}
run(require, bundle, join(__dirname, 'dist'));
