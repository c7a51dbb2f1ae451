// The script node runs to build the CLI's start-up snapshot (build.js), never at run time.
//
// The CLI's own bundle (dist/minictl.js) is compiled with V8's lazy compilation off: every one
// of its functions then has its bytecode in the snapshot, where a start would otherwise
// compile each function the first time it is called (~140 on a `run`, ~2 ms). commander
// (dist/commander.js) is compiled lazily, as usual: all of its bytecode would cost every start
// ~2 ms to deserialise, and the warm-up (warm-up.ts) has compiled the part a run uses. V8
// keeps the flag's setting in the snapshot's checksum, so it is back on before anything is
// stored (a mismatch would be refused at start; build.js tries the executable).
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');

const dist = join(__dirname, 'dist');

/** Evaluates a CommonJS file of dist/ with the given require; returns its exports. */
function load(name, { eager, require: requireFn }) {
  const file = join(dist, name);
  const source = `(function (require, module, exports, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  if (eager) setFlagsFromString('--no-lazy');
  let run;
  try {
    run = new Script(source, { filename: file }).runInThisContext();
  } finally {
    if (eager) setFlagsFromString('--lazy');
  }
  const module = { exports: {} };
  run(requireFn, module, module.exports, file, dist);
  return module.exports;
}

const commander = load('commander.js', { eager: false, require });
load('minictl.js', { eager: true, require: (id) => (id === 'commander' ? commander : require(id)) });
