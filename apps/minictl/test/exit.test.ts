import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

// The built module (the test target builds first): exitWhenWritten ends the process it runs in.
const exitModule = path.join(__dirname, '..', 'dist', 'exit.js');

function endAfterWriting(bytes: number, loadAddon: boolean) {
  const script = [
    `const { trackStdio, exitWhenWritten } = require(${JSON.stringify(exitModule)});`,
    'trackStdio();',
    // with the addon loaded, the exit skips Node's teardown
    loadAddon ? "require('@minictl/native').procAddon();" : '',
    `process.stdout.write('x'.repeat(${bytes}));`,
    'process.exitCode = 3;',
    'exitWhenWritten();',
  ].join('\n');
  return spawnSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..'), maxBuffer: 4 * bytes });
}

describe('exitWhenWritten', () => {
  it('loses nothing a pipe has not taken yet (process.exit would stop at 64 KiB)', () => {
    for (const loadAddon of [false, true]) {
      const r = endAfterWriting(1_000_000, loadAddon);
      expect(r.stderr.toString()).toBe('');
      expect(r.stdout.length).toBe(1_000_000);
      expect(r.status).toBe(3);
    }
  });
});
