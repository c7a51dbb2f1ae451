import { closeSync, existsSync, mkdirSync, openSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fsAddon } from '@minictl/native';
import { compilePlan, launch, validateSpec, type ContainerSpec } from '@minictl/nsproc';
import { storeFor } from '@minictl/rootfs';
import { containers, checkNameFree, requireContainer, reserveName } from '../lifecycle/containers';
import { remove } from '../lifecycle/commands';
import { startDetached } from '../lifecycle/detach';
import { toJson, warn } from '../output';
import { UsageError } from '../run/parse';
import { hostPlumbing } from '../run/plumbing';
import { defaultOciConfig, fromOciConfig, readConfig } from './config';

const rootOf = (cmd: Command) => (cmd.optsWithGlobals() as { root?: string }).root;

/** The OCI runtime command line: spec, create, start, state, delete (kill is shared with ps & co). */
export function registerOci(program: Command): void {
  program
    .command('spec')
    .description('write a config.json for a bundle (always rootless; --rootless is accepted)')
    .option('--rootless', 'accepted for compatibility: minictl specs are rootless')
    .option('-b, --bundle <dir>', 'where to write it', '.')
    .action((opts: { bundle: string }) => {
      const file = join(opts.bundle, 'config.json');
      if (existsSync(file)) throw new UsageError(`${file} exists: remove it first`);
      writeFileSync(file, `${JSON.stringify(defaultOciConfig(process.getuid!(), process.getgid!()), null, 2)}\n`);
    });

  program
    .command('create')
    .description('set up a container from a bundle; its process waits for `start`')
    .argument('<id>')
    .option('-b, --bundle <dir>', 'the bundle directory (config.json and its root)', '.')
    .option('--pid-file <file>', "write the container process's pid here")
    .option('--console-socket <sock>', 'receive the pseudoterminal master over this unix socket')
    .action(async (id: string, opts: { bundle: string; pidFile?: string; consoleSocket?: string }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      checkNameFree(store, id);
      const bundle = resolve(opts.bundle);
      const { spec, annotations } = translate(bundle);
      if (spec.process.terminal && !opts.consoleSocket)
        throw new UsageError('config.json asks for a terminal (process.terminal): pass --console-socket to receive it, or set it to false');
      if (opts.consoleSocket && !spec.process.terminal)
        throw new UsageError('--console-socket needs process.terminal set to true in config.json');
      if (opts.consoleSocket) spec.minictl.consoleSocket = resolve(opts.consoleSocket);
      reserveName(store, id, id);
      // From here on, a failure must leave no state behind: the id stays free.
      try {
        const fx = fsAddon();
        const dir = fx.openRoot(store.dir(id));
        fx.mkfifo(dir, 'start', 0o600);
        fx.close(dir);
        spec.minictl.startGate = store.startFifo(id);
        spec.minictl.detached = { exitFile: store.exitFile(id) };
        const plumbing = hostPlumbing(spec, id);
        const steps = compilePlan(validateSpec(spec), { scratch: scratch() });
        await startDetached({ store, spec, steps, id, name: id, bundle, annotations, hooks: { beforeStart: plumbing.beforeStart }, cgroup: plumbing.cgroupDir });
      } catch (e) {
        store.remove(id);
        throw e;
      }
      if (opts.pidFile) {
        try {
          writeFileSync(opts.pidFile, String(store.load(id)!.pid));
        } catch (e) {
          await remove(store, store.load(id)!, true);
          throw e;
        }
      }
    });

  program
    .command('start')
    .description('run the process of a created container')
    .argument('<id>')
    .action((ref: string, _opts: unknown, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const r = requireContainer(store, ref);
      if (store.status(r) !== 'created') throw new UsageError(`container ${r.id} is ${store.status(r)}, not created: only a created container can start`);
      const fd = openSync(store.startFifo(r.id), 'w');
      writeSync(fd, 's');
      closeSync(fd);
      unlinkSync(store.startFifo(r.id));
    });

  program
    .command('state')
    .description('print the OCI state of a container (JSON)')
    .argument('<id>')
    .action((ref: string, _opts: unknown, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const r = requireContainer(store, ref);
      const status = store.status(r);
      process.stdout.write(
        `${toJson({ ociVersion: '1.2.0', id: r.id, status, pid: status === 'stopped' ? 0 : r.pid, bundle: r.bundle ?? '', annotations: r.annotations })}\n`,
      );
    });

  program
    .command('delete')
    .description('delete a stopped container (--force: kill it first)')
    .argument('<id>')
    .option('-f, --force', 'kill a created or running container first')
    .action(async (ref: string, opts: { force?: boolean }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      await remove(store, requireContainer(store, ref), opts.force === true);
    });
}

/** `minictl run --bundle DIR`: create, start, wait, delete, attached to this terminal. */
export async function runBundle(bundleDir: string): Promise<number> {
  const { spec } = translate(resolve(bundleDir));
  const plumbing = hostPlumbing(spec, basename(resolve(bundleDir)));
  try {
    return await launch(spec, compilePlan(validateSpec(spec), { scratch: scratch() }), { beforeStart: plumbing.beforeStart });
  } finally {
    plumbing.stop();
  }
}

function translate(bundle: string): { spec: ContainerSpec; annotations: Record<string, string> } {
  const { spec, annotations, unsupported } = fromOciConfig(readConfig(bundle), bundle);
  for (const f of unsupported) warn(`config.json: ${f} is not supported by minictl and is not applied`);
  return { spec, annotations };
}

function scratch(): string {
  const { mnt } = storeFor();
  mkdirSync(mnt, { recursive: true, mode: 0o700 });
  return mnt;
}
