import { Command } from 'commander';
import { registerDoctor } from './doctor/command';
import { registerInternal } from './internal/command';
import { error } from './output';
import { registerRun } from './run/command';
import { registerUnshare } from './unshare/command';

const VERSION = '0.1.0';

/** The command-line program; each command registers itself from its own folder. */
export function buildProgram(): Command {
  const program = new Command('minictl')
    .description('Rootless containers for Linux')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError();
  registerRun(program);
  registerUnshare(program);
  registerDoctor(program);
  registerInternal(program);
  return program;
}

/** Run the CLI; minictl's own failures are one line on stderr and exit status 125 by default. */
export async function main(argv: string[], program = buildProgram()): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as Error & { exitCode?: number };
    error(err.message);
    process.exitCode = typeof err.exitCode === 'number' && err.exitCode > 0 ? err.exitCode : 125;
  }
}
