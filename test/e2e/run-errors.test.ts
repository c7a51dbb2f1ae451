import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI, processesWithEnv, Sandbox, tempDir, testImage } from '../support/harness';

const box = new Sandbox();

let runs = 0;

/** minictl run with a mark in its environment; left() lists the run's processes still alive. */
function runMarked(args: string[]) {
  const mark = `MINICTL_TEST_RUN=${process.pid}-${++runs}`;
  const r = box.run(args, { env: { MINICTL_TEST_RUN: mark.split('=')[1] } });
  return { ...r, left: () => processesWithEnv(mark) };
}

/** One line, the exit code, nothing cached, and no process left: run starts its launcher
 * before it opens the image, and must end it when the image fails. */
function expectCleanFailure(args: string[], code: number, message: RegExp): void {
  const r = runMarked(args);
  expect(r.status).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^minictl: /);
  expect(lines[0]).toMatch(message);
  expect(box.images()).toEqual([]);
  expect(r.left()).toEqual([]);
}

describe('minictl run: bad input', () => {
  const dir = tempDir();

  it('a missing image file: 125, one line, nothing cached', () => {
    expectCleanFailure(['run', path.join(dir, 'nope.tar'), 'true'], 125, /nope\.tar: no such file/);
  });

  it('a file that is not a tar archive: 125, nothing cached', () => {
    const f = path.join(dir, 'notes.tar');
    fs.writeFileSync(f, 'just some text, certainly not an archive\n'.repeat(40));
    expectCleanFailure(['run', f, 'true'], 125, /notes\.tar: not a tar archive/);
  });

  it('a short file of text is not a tar archive, not a truncated one', () => {
    const f = path.join(dir, 'short.txt');
    fs.writeFileSync(f, 'hello tar\n');
    expectCleanFailure(['run', f, 'true'], 125, /short\.txt: not a tar archive \(shorter than one tar header\)/);
  });

  it('a truncated gzip: 125, nothing cached', () => {
    const whole = fs.readFileSync(testImage());
    const f = path.join(dir, 'cut.tar.gz');
    fs.writeFileSync(f, whole.subarray(0, Math.floor(whole.length / 2)));
    expectCleanFailure(['run', f, 'true'], 125, /truncated/);
  });

  it('corrupt gzip data: 125, nothing cached', () => {
    const good = zlib.gzipSync(Buffer.alloc(4096, 7));
    good[20] ^= 0xff;
    good[30] ^= 0xff;
    const f = path.join(dir, 'bad.tgz');
    fs.writeFileSync(f, good);
    expectCleanFailure(['run', f, 'true'], 125, /gzip|corrupt|not a tar/);
  });

  it('an empty file: 125', () => {
    const f = path.join(dir, 'empty.tar');
    fs.writeFileSync(f, '');
    expectCleanFailure(['run', f, 'true'], 125, /empty/);
  });

  it('a usage error and --help end the launcher that run starts before parsing its options', () => {
    expectCleanFailure(['run', '--no-such-option', testImage(), 'true'], 125, /unknown option '--no-such-option'/);
    const help = runMarked(['run', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: minictl run /);
    expect(help.left()).toEqual([]);
  });

  it('a command that does not exist: 127; one that is not executable: 126', () => {
    const missing = box.run(['run', testImage(), 'no-such-command']);
    expect(missing.status).toBe(127);
    expect(missing.stderr.trim()).toMatch(/^minictl: .*no-such-command.*ENOENT/);
    const notExec = box.run(['run', testImage(), '/etc/passwd']);
    expect(notExec.status).toBe(126);
    expect(notExec.stderr.trim()).toMatch(/^minictl: .*\/etc\/passwd.*EACCES/);
  });

  it('malformed options: 125 with one line', () => {
    const nul = path.join(dir, 'nul.env');
    fs.writeFileSync(nul, 'A=1\nB=x\0y\n');
    for (const args of [
      // found only once the plan is encoded, after the launcher was started: it must not stay
      ['run', '--env-file', nul, testImage(), 'true'],
      // minictl's to read, not node's (node-patches.js)
      ['run', '--env-file', path.join(dir, 'missing.env'), testImage(), 'true'],
      ['run', '-v', 'nocolon', testImage(), 'true'],
      ['run', '-v', `${dir}:relative`, testImage(), 'true'],
      ['run', '-e', '=x', testImage(), 'true'],
      ['run', '--hostname', 'bad name!', testImage(), 'true'],
      ['run', '-w', 'relative', testImage(), 'true'],
    ]) {
      const r = runMarked(args);
      expect(r.status, args.join(' ')).toBe(125);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(/^minictl: /);
      expect(r.left(), args.join(' ')).toEqual([]);
    }
  });

  it('a kernel that forbids user namespaces: the setting to change', () => {
    // user.max_user_namespaces is per user namespace: forbid them inside one of our own.
    const nested = spawnSync(
      'unshare',
      ['-Ur', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh', CLI, 'run', '--userns', 'root', testImage(), 'true'],
      { env: box.env, encoding: 'utf8' },
    );
    expect(nested.status).toBe(125);
    expect(nested.stderr.trim()).toMatch(/^minictl: cannot create a user namespace: .*user\.max_user_namespaces = 0.*sysctl -w user\.max_user_namespaces=/);
  });
});
