// Bundle the CLI (dist/minictl.js, with `run`; commander apart, in dist/commander.js; the other
// commands in dist/minictl-more-HASH.js, below), then make it a single executable
// (dist/minictl): a copy of the node that runs this build with a V8 start-up snapshot of the
// first two inside (see snapshot-main.js). Node maps a snapshot held in its own executable
// where it would read, zero and copy a --snapshot-blob file of 5 MB: ~3 ms off every start.
// bin/minictl runs dist/minictl, or the plain bundle with the node on PATH when there is none.
//
// The bundle is made from the TypeScript sources of this app and of the @minictl packages
// (tsc has type-checked them), not from tsc's CommonJS output: as ES modules they are
// hoisted into one scope, without CommonJS's per-module wrappers and a getter for every
// re-exported name. That is a third fewer objects in the snapshot, and ~2 ms off every start.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');
const esbuild = require('esbuild');
const { patchNode } = require('./node-patches');

const dist = path.join(__dirname, 'dist');
const bundle = path.join(dist, 'minictl.js');
const executable = path.join(dist, 'minictl');

const pkg = require('./package.json');
const alias = Object.fromEntries(
  Object.keys(pkg.dependencies)
    .filter((name) => name.startsWith('@minictl/'))
    .map((name) => [name, path.join(path.dirname(require.resolve(`${name}/package.json`)), 'src', 'index.ts')]),
);

// Modules that only some runs use, bound on first use: every module the bundle loads is in
// the start-up snapshot and deserialised at every start. An import of one gets a module of
// wrappers, one for each function the module exports (as this build finds it), that load it
// when first called; the bundle keeps the wrappers it uses, and importing anything else from
// such a module fails the build. `load` is the expression that loads it, after `imports`:
//  - node:crypto (~2 ms), which only image import needs, and node:child_process (~0.5 ms),
//    which commander loads for subcommands run as separate executables (minictl has none);
//  - in the CLI's bundle, @minictl/seccomp (~0.7 ms): a default run installs the default
//    filter, compiled into the snapshot (warm-up.ts); any other filter loads the package from
//    the other commands' bundle (more.ts).
const LAZY_BUILTINS = {
  'node:crypto': { load: 'require("node:crypto")' },
  'node:child_process': { load: 'require("node:child_process")' },
};
const LAZY_IN_CLI = {
  ...LAZY_BUILTINS,
  '@minictl/seccomp': { imports: `import { more } from ${JSON.stringify(path.join(__dirname, 'src', 'load-more.ts'))};`, load: 'more().seccomp' },
};

function lazyModules(lazy) {
  const isPlainFunction = (v) => typeof v === 'function' && !/^class\b/.test(Function.prototype.toString.call(v));
  return {
    name: 'lazy-modules',
    setup(build) {
      const filter = new RegExp(`^(${Object.keys(lazy).join('|')})$`);
      build.onResolve({ filter }, (args) => (args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' }));
      build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
        const { imports = '', load } = lazy[args.path];
        const mod = require(args.path);
        const wrappers = Object.keys(mod)
          .filter((key) => isPlainFunction(mod[key]))
          .map((key) => `export function ${key}(...args) { return ${load}.${key}(...args); }`);
        return { contents: `${imports}\n${wrappers.join('\n')}`, loader: 'js', resolveDir: __dirname };
      });
    },
  };
}

const common = {
  bundle: true,
  alias,
  // bundled apart (see below), and compiled differently by snapshot-main.js
  external: ['commander'],
  // metafile paths are relative to it (buildCore)
  absWorkingDir: __dirname,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Half the source text the snapshot carries (~0.5 ms a start); names stay readable.
  minifyWhitespace: true,
  legalComments: 'eof',
};

// The CLI's bundle holds `run` and what it needs; every other command is in a bundle of its
// own, dist/minictl-more-HASH.js (src/more.ts), out of the start-up snapshot (~2 ms a start)
// and loaded when a command line names one. Modules both use (output, the packages and their
// state, commander) stay in the CLI's bundle, which hands over what the other imports of them
// (load-more.ts): a virtual module, minictl:core-modules, maps each such module's path to a
// function that returns the names imported, called when that bundle loads, once all of this
// one has run (no module reassigns an export; a function a module rather than a getter a name
// is less for the snapshot to hold). Exporting whole modules instead would bring all of each
// package back into the snapshot. Four builds: the CLI's, to learn its modules; the other
// commands' as an ES module with those external, whose import statements say which names they
// use; the other commands' as CommonJS, reading them from `core` (writeMore); the CLI's again,
// exporting those (and no more modules).
const CORE = 'minictl:core-modules';
const coreKey = (file) => path.relative(__dirname, file);

/**
 * minictl:core-modules, for `exported`: core key → the names imported, or '*' for all; and
 * `moreName`, the file name, without extension, of the other bundle and of its code cache.
 */
function coreModulesPlugin(exported, moreName) {
  return {
    name: 'core-modules',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${CORE}$`) }, () => ({ path: CORE, namespace: 'core-modules' }));
      build.onLoad({ filter: /.*/, namespace: 'core-modules' }, () => {
        const imports = [];
        const entries = [];
        [...exported.entries()].sort().forEach(([key, names], i) => {
          const file = JSON.stringify(path.resolve(__dirname, key));
          if (names === '*') {
            imports.push(`import * as m${i} from ${file};`);
            entries.push(`${JSON.stringify(key)}: () => m${i}`);
            return;
          }
          const local = [...names].map((name, j) => [name, `m${i}_${j}`]);
          imports.push(`import { ${local.map(([name, id]) => `${name} as ${id}`).join(', ')} } from ${file};`);
          // __esModule: esbuild's interop then reads a default import as `default`
          entries.push(`${JSON.stringify(key)}: () => ({ __esModule: true, ${local.map(([name, id]) => `${name}: ${id}`).join(', ')} })`);
        });
        const name = `export const moreName = ${JSON.stringify(moreName)};`;
        return { contents: `${imports.join('\n')}\n${name}\nexport default { ${entries.join(',\n')} };`, resolveDir: __dirname, loader: 'js' };
      });
    },
  };
}

/**
 * In the other commands' bundle, the imports of the CLI bundle's modules (`coreFiles`): left
 * as ES imports of their core key (`esm`), or read from `core` at run time.
 */
function fromCorePlugin(coreFiles, esm) {
  return {
    name: 'from-core',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.namespace === 'from-core' || args.pluginData === 'from-core' || args.kind === 'entry-point') return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'from-core' });
        if (resolved.errors.length > 0 || !coreFiles.has(resolved.path)) return undefined;
        return { path: coreKey(resolved.path), ...(esm ? { external: true } : { namespace: 'from-core' }) };
      });
      build.onLoad({ filter: /.*/, namespace: 'from-core' }, (args) => ({
        contents: `module.exports = core[${JSON.stringify(args.path)}]();`,
        loader: 'js',
      }));
    },
  };
}

/** What an ES module bundle imports of the modules `keys`: key → names (or '*'), from esbuild's import statements. */
function importedNames(code, keys) {
  const found = new Map();
  const add = (from, names) => {
    if (!keys.has(from)) return;
    const had = found.get(from) ?? new Set();
    if (had === '*' || names === '*') return void found.set(from, '*');
    for (const name of names) had.add(name);
    found.set(from, had);
  };
  for (const m of code.matchAll(/\b(?:import|export)\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g))
    add(m[2], m[1].split(',').map((spec) => spec.trim().split(/\s+as\s+/)[0]).filter(Boolean));
  for (const m of code.matchAll(/\b(?:import\s*\*\s*as\s*[\w$]+|export\s*\*(?:\s*as\s*[\w$]+)?)\s*from\s*"([^"]+)"/g)) add(m[1], '*');
  for (const m of code.matchAll(/\bimport\s+[\w$]+\s*(?:,\s*\{[^}]*\}\s*)?from\s*"([^"]+)"/g)) add(m[1], ['default']);
  for (const m of code.matchAll(/\bimport\s*"([^"]+)"/g)) add(m[1], []);
  return found;
}

async function buildCore(exported, moreName) {
  const result = await esbuild.build({
    ...common,
    plugins: [lazyModules(LAZY_IN_CLI), coreModulesPlugin(exported, moreName)],
    entryPoints: [path.join(__dirname, 'src', 'entry.ts')],
    format: 'iife',
    outfile: bundle,
    metafile: true,
  });
  // Modules without code of their own there (an index of re-exports, or one run does not use)
  // are not shared: the other bundle takes what it uses of them through their own imports.
  const withCode = Object.entries(result.metafile.outputs[path.relative(__dirname, bundle)].inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([file]) => path.resolve(__dirname, file));
  return new Set(withCode);
}

async function buildMore(coreFiles, esm) {
  const result = await esbuild.build({
    ...common,
    plugins: [lazyModules(LAZY_BUILTINS), fromCorePlugin(coreFiles, esm)],
    entryPoints: [path.join(__dirname, 'src', 'more.ts')],
    format: esm ? 'esm' : 'cjs',
    // one function expression, which load-more.ts calls with the CLI bundle's modules
    ...(esm ? {} : { banner: { js: '(function (require, module, exports, core) {' }, footer: { js: '})' } }),
    outfile: path.join(dist, 'minictl-more.js'),
    write: false,
  });
  return result.outputFiles[0].text;
}

/**
 * Writes the other commands' bundle as dist/minictl-more-HASH.js, named by its content (what
 * the CLI's bundle is built to load), and beside it V8's code cache for it, with the same
 * name: made by this node, the one inside dist/minictl, with every function compiled (as
 * snapshot-main.js does, the flag back before the cache is made, which V8 checks), so that the
 * other commands start without parsing or compiling any of it. V8 checks a cache's length and
 * flags, not its content: the name keeps a cache with its own source. load-more.ts compiles
 * the source as usual where a node rejects the cache. Returns the name, without extension.
 */
function writeMore(code) {
  for (const old of fs.readdirSync(dist).filter((f) => f.startsWith('minictl-more'))) fs.rmSync(path.join(dist, old));
  const name = `minictl-more-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
  const file = path.join(dist, `${name}.js`);
  fs.writeFileSync(file, code);
  setFlagsFromString('--no-lazy');
  let script;
  try {
    script = new Script(code, { filename: file });
  } finally {
    setFlagsFromString('--lazy');
  }
  const cache = script.createCachedData();
  // as load-more.ts will load it: a cache V8 would refuse would only cost time, unnoticed
  if (new Script(code, { filename: file, cachedData: cache }).cachedDataRejected) throw new Error(`build.js: V8 refuses the code cache of ${file}`);
  fs.writeFileSync(path.join(dist, `${name}.cache`), cache);
  return name;
}

async function build() {
  const coreFiles = await buildCore(new Map(), '');
  const imported = importedNames(await buildMore(coreFiles, true), new Set([...coreFiles].map(coreKey)));
  const moreName = writeMore(await buildMore(coreFiles, false));
  // Exporting names must not bring a module into the CLI's bundle that the other bundle took a
  // copy of: two copies would mean two states, two classes.
  const exporting = await buildCore(imported, moreName);
  const added = [...exporting].filter((file) => !coreFiles.has(file));
  if (added.length > 0) throw new Error(`build.js: exporting to minictl-more.js brought into minictl.js: ${added.map(coreKey).join(', ')}`);
  // commander apart: snapshot-main.js compiles it differently.
  await esbuild.build({ ...common, plugins: [lazyModules(LAZY_BUILTINS)], entryPoints: [require.resolve('commander')], format: 'cjs', outfile: path.join(dist, 'commander.js') });
  makeExecutable();
}

function makeExecutable() {
  // Node's single executable applications: node builds the snapshot from the bundle, by way of
  // snapshot-main.js (entry.ts knows it is being snapshotted), and postject puts it into the
  // copy of node (node-patches.js) under the name and fuse that node looks for. Both talk on
  // stderr when all is well: shown only on failure. The build's own NODE_OPTIONS (a larger heap
  // for the monorepo, say) stays out: V8 flags are part of a snapshot, and the executable
  // ignores NODE_OPTIONS, so it would never load one built with them.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  // `silent`: anything on stderr is a failure too.
  const quietly = (file, args, { extraEnv = {}, silent = false } = {}) => {
    const r = spawnSync(file, args, { env: { ...env, ...extraEnv }, encoding: 'utf8' });
    if (r.status === 0 && !(silent && r.stderr)) return;
    fs.rmSync(executable, { force: true });
    process.stderr.write(r.stderr || String(r.error ?? ''));
    const how = r.status === 0 ? 'wrote to stderr' : `failed (${r.signal ?? `exit ${r.status}`})`;
    throw new Error(`cannot make ${executable}: ${[file, ...args].join(' ')} ${how}`);
  };
  const seaBlob = path.join(dist, 'minictl.sea');
  const seaConfig = path.join(dist, 'sea-config.json');
  const main = path.join(__dirname, 'snapshot-main.js');
  fs.writeFileSync(seaConfig, JSON.stringify({ main, output: seaBlob, useSnapshot: true, disableExperimentalSEAWarning: true }));
  quietly(process.execPath, ['--no-warnings', '--experimental-sea-config', seaConfig]);
  fs.rmSync(executable, { force: true });
  fs.writeFileSync(executable, patchNode(fs.readFileSync(process.execPath)));
  fs.chmodSync(executable, 0o755);
  quietly(process.execPath, [require.resolve('postject/dist/cli.js'), executable, 'NODE_SEA_BLOB', seaBlob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2']);
  fs.rmSync(seaBlob);
  fs.rmSync(seaConfig);
  // A snapshot this node will not load (see snapshot-main.js) fails here, not at a user's
  // start; so does a rename of node-patches.js that did not take: node exits 9 on a missing
  // --env-file or an option it does not know in NODE_OPTIONS, and warns of a missing file
  // otherwise.
  const missing = '/nonexistent/minictl-build-check';
  quietly(executable, ['--version', `--env-file=${missing}`, `--env-file-if-exists=${missing}`], {
    extraEnv: { NODE_OPTIONS: '--minictl-build-check', NODE_EXTRA_CA_CERTS: missing },
    silent: true,
  });
}

build().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
