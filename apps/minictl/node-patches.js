// The CLI's executable is a copy of node (build.js), and node reads its command line and its
// environment before any of minictl's code runs. Three things it does there are wrong for a
// program that only happens to be made of Node:
//  - it looks through the whole command line for `--env-file` and `--env-file-if-exists` (up to
//    a `--`), loads the file or, when there is none, exits 9 with a message of its own; but
//    `minictl run --env-file FILE` is minictl's option, and a container's command may carry
//    node's (`minictl run IMAGE node --env-file .env app.js`);
//  - it applies NODE_OPTIONS: a V8 flag there makes the start-up snapshot unloadable (exit 14,
//    "Invalid snapshot data"), and any other option changes what minictl does;
//  - it loads the certificates NODE_EXTRA_CA_CERTS names at every start (~37 ms for Debian's
//    bundle), and minictl opens no TLS connection.
// Node 20 has no setting for a single executable to opt out of these, so the copy gets the
// C strings node looks for renamed: one byte each becomes \x01, which no argument or variable
// name a person types contains. Each must occur once as a C string (node's built-in snapshot
// holds some of the names too, as V8 strings, each after its length: those are left alone); a
// node built otherwise fails the build here, and build.js then checks the executable at work.
// (A linker may store a shorter string as the tail of a longer one, which the rename would
// change too: in node 20.20 only node's own matcher points inside these four.)
'use strict';

/** The C strings to rename: node's own option names and the variables it reads. */
const RENAMED = ['--env-file', '--env-file-if-exists', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

/** A copy of node's executable with RENAMED renamed (each last byte made \x01); throws if one is not there once. */
function patchNode(node) {
  const out = Buffer.from(node);
  for (const name of RENAMED) {
    const at = cStrings(out, name);
    if (at.length !== 1)
      throw new Error(`build.js: node's executable has ${at.length || 'no'} C strings "${name}" to rename, not one (node-patches.js)`);
    out[at[0] + name.length - 1] = 0x01;
  }
  return out;
}

/** Where `name` starts as a whole C string: between NULs, and not after a 32-bit length of it. */
function cStrings(bytes, name) {
  const whole = Buffer.from(`\0${name}\0`);
  const found = [];
  for (let i = bytes.indexOf(whole); i >= 0; i = bytes.indexOf(whole, i + 1)) {
    const start = i + 1;
    if (start < 4 || bytes.readUInt32LE(start - 4) !== name.length) found.push(start);
  }
  return found;
}

module.exports = { patchNode, RENAMED };
