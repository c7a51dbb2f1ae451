import { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import { encodePlan } from '@minictl/native';
import { compilePlan, preludeSteps, validateSpec } from '@minictl/nsproc';
import { mappingKey } from './identity/namespaced';
import { resolveIdentity } from './identity/resolve';
import { buildProgram } from './main';
import { preludeFromOptions, specFromOptions, type RunOptions } from './run/spec-from-options';

/**
 * Runs the pure part of `minictl run` once while the V8 start-up snapshot is built: V8 keeps
 * the bytecode it compiled, so a run starts with it instead of compiling a few hundred
 * functions lazily. Both id modes a run may take are walked: `auto`, the default (subordinate
 * ranges, read from /etc/subuid, and the helpers' checks), and `root`; warming only the latter
 * left ~2 ms of compiling to every default run. Touches nothing: the action only records the
 * parsed options, and the plan is compiled for a root that does not exist. Kernel facts read
 * on the way must not be cached into the snapshot (see lastCap in @minictl/caps).
 */
export function warmUp(): void {
  const program = buildProgram();
  const run = program.commands.find((c) => c.name() === 'run')!;
  let opts: RunOptions | undefined;
  run.action((_image: string, _command: string[], parsed: RunOptions, cmd: Command) => {
    cmd.optsWithGlobals(); // as the real action does
    opts = parsed;
  });
  // as main() parses; without hooks, commander calls the action before parseAsync returns
  void program.parseAsync(['run', 'image.tar', 'true'], { from: 'user' });
  preludeSteps(preludeFromOptions(opts!, false));
  for (const userns of ['auto', 'root']) {
    const identity = resolveIdentity({ ...opts!, userns });
    mappingKey(identity);
    const spec = validateSpec(
      specFromOptions({ id: '0'.repeat(32), rootfs: '/nonexistent', rootMode: 'overlay', args: ['true'], opts: opts!, terminal: false, identity, hostResolv: '' }),
    );
    encodePlan(compilePlan(spec, { scratch: '/nonexistent' }));
  }
  warmNode();
}

/**
 * Node's own functions that a run calls (the ones V8 reported compiling during one): they too
 * are compiled on first call unless called once while the snapshot is built (~0.8 ms a run).
 * Harmless here: /dev/null, the temporary directory, a listener added and taken away.
 */
function warmNode(): void {
  const fd = openSync('/dev/null', 'r+');
  try {
    writeSync(fd, Buffer.alloc(1));
    readSync(fd, Buffer.alloc(1));
  } finally {
    closeSync(fd);
  }
  mkdirSync(tmpdir(), { recursive: true });
  existsSync('/');
  statSync('/').isDirectory();
  basename('/a/b');
  Buffer.concat([Buffer.alloc(1), Buffer.alloc(1)]).toString('utf8');
  isatty(0);
  release();
  const events = new EventEmitter();
  const listener = () => undefined;
  events.on('warm', listener).removeListener('warm', listener);
}
