import { appendFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { endEarlyLauncher, startLauncherEarly } from '@minictl/nsproc';
import { commandName } from './command-name';
import { more } from './load-more';
import { error } from './output';
import { registerRun } from './run/command';

const VERSION = '0.1.0';

/**
 * The command-line program with `run` alone, the one command that must start fast; main()
 * adds the others (more.ts) when the command line names one. Each command registers itself
 * from its own folder.
 */
export function buildProgram(): Command {
  const program = new Command('minictl')
    .description('Rootless containers for Linux')
    .version(VERSION)
    .option('--root <dir>', 'where container state lives (default: $XDG_RUNTIME_DIR/minictl)')
    .option('--log <file>', "also append minictl's errors to this file (for engines driving minictl)")
    .addOption(new Option('--log-format <format>', 'format of --log lines').choices(['text', 'json']).default('text'))
    .enablePositionalOptions()
    // Usage errors come back here as exceptions, to be reported like any other: one line, 125.
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  registerRun(program);
  return program;
}

/** Run the CLI; minictl's own failures are one line on stderr and exit status 125 by default. */
export async function main(argv: string[], program = buildProgram()): Promise<void> {
  try {
    // A run's launcher loads while its options are parsed (run.ts takes it over).
    if (commandName(program, argv.slice(2)) === 'run') startLauncherEarly();
    else more().registerMore(program);
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here too, successfully.
      if (e.exitCode === 0) return;
      error(`${e.message.replace(/^error: /, '')} (see minictl ${argv[2] && !argv[2].startsWith('-') ? `${argv[2]} ` : ''}--help)`);
      process.exitCode = 125;
      return;
    }
    error(describe(e));
    logError(program, describe(e));
    const code = (e as { exitCode?: number }).exitCode;
    process.exitCode = typeof code === 'number' && code > 0 ? code : 125;
  } finally {
    endEarlyLauncher();
  }
}

/** --log FILE: an engine reads minictl's failures there, as text or JSON lines. */
function logError(program: Command, message: string): void {
  const { log, logFormat } = program.opts() as { log?: string; logFormat: string };
  if (!log) return;
  const time = new Date().toISOString();
  const line = logFormat === 'json' ? JSON.stringify({ level: 'error', msg: message, time }) : `${time} error: ${message}`;
  try {
    appendFileSync(log, `${line}\n`);
  } catch {
    // the message is on stderr already
  }
}

/** Node's own errors name a syscall and a path: say that, not their stack-flavoured message. */
function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.syscall && err.code && !(err as { step?: string }).step)
    return `cannot ${err.syscall}${err.path ? ` ${err.path}` : ''}: ${err.code}`;
  return String(err?.message ?? e);
}
