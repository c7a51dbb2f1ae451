import type { Command } from 'commander';

/**
 * The command a command line names: its first operand past the program's own options and
 * their values (undefined when there is none: --help, --version, nothing). main() loads the
 * commands other than `run` only when this is not `run`.
 */
export function commandName(program: Command, args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return args[i + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    const option = program.options.find((o) => o.long === arg || o.short === arg);
    if (option?.required || (option?.optional && !args[i + 1]?.startsWith('-'))) i++;
  }
  return undefined;
}
