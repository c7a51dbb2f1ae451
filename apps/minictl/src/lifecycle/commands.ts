import { closeSync, openSync, readSync, rmdirSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { signalContainer, type ContainerRecord, type StateStore } from '@minictl/nsproc';
import { collect } from '../options';
import { toJson } from '../output';
import { UsageError } from '../run/parse';
import { containers, requireContainer } from './containers';
import { execCommand } from './exec';
import { parseSignal } from './signals';

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

const rootOf = (cmd: Command) => (cmd.optsWithGlobals() as { root?: string }).root;

/** ps, inspect, logs, stop, kill, rm, exec: living with detached containers. */
export function registerLifecycle(program: Command): void {
  program
    .command('ps')
    .description('list running containers (-a: all)')
    .option('-a, --all', 'include stopped containers')
    .option('--json', 'print JSON')
    .action((opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const rows = store
        .all()
        .map((r) => ({ r, status: store.status(r) }))
        .filter(({ status }) => opts.all || status !== 'stopped')
        .sort((a, b) => a.r.created.localeCompare(b.r.created));
      if (opts.json) return print(toJson(rows.map(({ r, status }) => summary(store, r, status))));
      const table = rows.map(({ r, status }) => [r.id.slice(0, 12), r.name, statusText(store, r, status), r.created.replace(/\..*/, ''), r.command.join(' '), r.image ?? r.bundle ?? '']);
      printTable(['ID', 'NAME', 'STATUS', 'CREATED', 'COMMAND', 'IMAGE'], table);
    });

  program
    .command('inspect')
    .description('show everything minictl knows of a container, as JSON')
    .argument('<name>')
    .action((ref: string, _opts: unknown, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const r = requireContainer(store, ref);
      print(toJson({ ...summary(store, r, store.status(r)), spec: r.spec }));
    });

  program
    .command('logs')
    .description("print a detached container's output (-f: follow it until the container stops)")
    .argument('<name>')
    .option('-f, --follow', 'keep printing new output until the container stops')
    .action(async (ref: string, opts: { follow?: boolean }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const r = requireContainer(store, ref);
      let offset = 0;
      for (;;) {
        offset = copyFrom(store.logFile(r.id), offset);
        if (!opts.follow || store.status(r) === 'stopped') break;
        await sleep(100);
      }
      copyFrom(store.logFile(r.id), offset);
    });

  program
    .command('stop')
    .description('stop a container: SIGTERM, then SIGKILL after the timeout')
    .argument('<name>')
    .option('-t, --time <secs>', 'seconds to wait before SIGKILL', '10')
    .action(async (ref: string, opts: { time: string }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const r = requireContainer(store, ref);
      const secs = Number(opts.time);
      if (!Number.isFinite(secs) || secs < 0) throw new UsageError(`-t takes seconds, got ${JSON.stringify(opts.time)}`);
      if (store.status(r) === 'stopped') return;
      signalContainer(r, 'SIGTERM');
      if (!(await stopped(store, r, secs * 1000))) {
        signalContainer(r, 'SIGKILL');
        await stopped(store, r, 5000);
      }
    });

  program
    .command('kill')
    .description('send a signal to a container (default SIGTERM); OCI form: kill ID SIGNAL')
    .argument('<name>')
    .argument('[signal]', 'signal name or number (as -s)')
    .option('-s, --signal <sig>', 'signal name or number', 'TERM')
    .action((ref: string, positional: string | undefined, opts: { signal: string }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const sig = parseSignal(positional ?? opts.signal);
      const r = requireContainer(store, ref);
      if (!signalContainer(r, sig)) throw new UsageError(`container ${r.name} is not running`);
    });

  program
    .command('rm')
    .description('remove a stopped container (-f: kill it first)')
    .argument('<name...>')
    .option('-f, --force', 'kill a running container first')
    .action(async (refs: string[], opts: { force?: boolean }, cmd: Command) => {
      const store = containers(rootOf(cmd));
      for (const ref of refs) await remove(store, requireContainer(store, ref), opts.force === true);
    });

  program
    .command('exec')
    .description("run a command in a running container's namespaces, under its privilege policy")
    .argument('<name>')
    .argument('<command...>')
    .option('-t, --tty', 'give the command a terminal')
    .option('-i, --interactive', 'keep stdin open')
    .option('-e, --env <KEY=VAL>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'run as this user of the image')
    .passThroughOptions()
    .action(async (ref: string, command: string[], opts, cmd: Command) => {
      const store = containers(rootOf(cmd));
      const r = requireContainer(store, ref);
      if (store.status(r) !== 'running') throw new UsageError(`container ${r.name} is not running`);
      process.exitCode = await execCommand(r, command, opts);
    });
}

/** Stop (if forced) and forget a container; its init is gone once the pid namespace is. */
export async function remove(store: StateStore, r: ContainerRecord, force: boolean): Promise<void> {
  if (store.status(r) !== 'stopped') {
    if (!force) throw new UsageError(`container ${r.name} is ${store.status(r)}: stop it first, or force it (rm -f, delete --force)`);
    signalContainer(r, 'SIGKILL');
    await stopped(store, r, 5000);
  }
  if (r.cgroup) {
    try {
      rmdirSync(r.cgroup);
    } catch {
      // already gone, or still draining: the kernel frees an empty group's last reference
    }
  }
  store.remove(r.id);
}

async function stopped(store: StateStore, r: ContainerRecord, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (store.status(r) !== 'stopped') {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

function summary(store: StateStore, r: ContainerRecord, status: string) {
  return { id: r.id, name: r.name, status, exitCode: store.exitStatus(r.id), pid: status === 'stopped' ? 0 : r.pid, created: r.created, image: r.image, bundle: r.bundle, command: r.command, annotations: r.annotations };
}

function statusText(store: StateStore, r: ContainerRecord, status: string): string {
  const code = store.exitStatus(r.id);
  return status === 'stopped' && code !== undefined ? `exited (${code})` : status;
}

function copyFrom(file: string, offset: number): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return offset;
  }
  try {
    const buf = Buffer.alloc(1 << 16);
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
      writeSync(1, buf.subarray(0, n));
      offset += n;
    }
    return offset;
  } finally {
    closeSync(fd);
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [head, ...rows]) print(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}
