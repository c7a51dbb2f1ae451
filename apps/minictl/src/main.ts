import { Command, Option } from 'commander';
import { error } from './output';
import { runCommand } from './run/run';

const collect = (v: string, prev: string[]) => [...prev, v];

export function buildProgram(): Command {
  const program = new Command('minictl')
    .description('Rootless containers for Linux')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('run')
    .description('run a command in a new container made from an image tarball')
    .argument('[image]', 'image archive (plain or gzip tarball); omit with --rootfs')
    .argument('[command...]', 'command and arguments (default: /bin/sh)')
    .option('--rootfs <dir>', 'run an already unpacked root directory instead of an image')
    .option('-e, --env <KEY=VAL>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read KEY=VAL lines from a file (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container', undefined)
    .option('-v, --volume <host:path[:ro]>', 'bind a host path into the container (repeatable)', collect, [])
    .option('--hostname <name>', 'host name inside the container (default: the short container id)')
    .option('--read-only', 'mount the image read-only instead of giving the run a writable layer')
    .option('--no-init', 'run the command as pid 1 instead of under minictl\'s init')
    .addOption(new Option('-t, --tty', 'give the container a terminal (default: when stdin and stdout are terminals)'))
    .addOption(new Option('-T, --no-tty', 'never give the container a terminal'))
    .passThroughOptions()
    .action(async (image: string | undefined, command: string[], opts) => {
      process.exitCode = await runCommand([image, ...command].filter((a): a is string => a !== undefined), opts);
    });

  return program;
}

const VERSION = '0.1.0';

export async function main(argv: string[], program = buildProgram()): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as Error & { exitCode?: number };
    error(err.message);
    process.exitCode = typeof err.exitCode === 'number' && err.exitCode > 0 ? err.exitCode : 125;
  }
}
