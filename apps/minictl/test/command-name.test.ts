import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandName } from '../src/command-name';
import { buildProgram } from '../src/main';

// The program's own options as main.ts declares them, and one with an optional value.
const program = new Command('minictl')
  .version('0.1.0')
  .option('--root <dir>')
  .option('--log <file>')
  .option('--log-format <format>')
  .option('--color [when]');

describe('commandName', () => {
  it('is the first operand', () => {
    expect(commandName(program, ['run', 'image.tar', 'sh'])).toBe('run');
    expect(commandName(program, ['images'])).toBe('images');
  });

  it('skips the values of options that take one', () => {
    expect(commandName(program, ['--root', 'run', 'ps'])).toBe('ps');
    expect(commandName(program, ['--log', '/tmp/l', '--log-format', 'json', 'run'])).toBe('run');
    expect(commandName(program, ['--root=/x', 'run'])).toBe('run');
  });

  it('takes an optional value only when one follows', () => {
    expect(commandName(program, ['--color', 'always', 'run'])).toBe('run');
    expect(commandName(program, ['--color', '--root', '/x', 'images'])).toBe('images');
  });

  it('is undefined for --help, --version and an empty line', () => {
    expect(commandName(program, ['--help'])).toBeUndefined();
    expect(commandName(program, ['-V'])).toBeUndefined();
    expect(commandName(program, [])).toBeUndefined();
    expect(commandName(program, ['--root'])).toBeUndefined();
  });

  it("reads main's own program, whose options take values", () => {
    const real = buildProgram();
    expect(commandName(real, ['--root', '/tmp/x', '--log-format', 'json', 'run', 'image.tar'])).toBe('run');
    expect(commandName(real, ['--log', 'run', 'ps'])).toBe('ps');
    expect(commandName(real, ['--version'])).toBeUndefined();
  });

  it('reads what follows -- as the command', () => {
    expect(commandName(program, ['--', 'run'])).toBe('run');
  });
});
