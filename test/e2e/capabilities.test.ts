import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { capToText, parseCapText } from '@minictl/caps';
import { describe, expect, it } from 'vitest';
import { CLI, Sandbox, statusField, tempDir, testImage, testProgram } from '../support/harness';

const box = new Sandbox();
const DOCKER_DEFAULT = '00000000a80425fb';
const ALL = (1n << BigInt(Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) + 1)) - 1n;
const hex = (m: bigint) => m.toString(16).padStart(16, '0');

function caps(args: string[]): Record<string, string> {
  const out = box.sh('grep -E "^(Cap|NoNewPrivs)" /proc/self/status', args);
  return Object.fromEntries(['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'].map((f) => [f, statusField(out, f)]));
}

describe('minictl run: capability policy', () => {
  it("gives Docker's default set and no_new_privs by default", () => {
    expect(caps([])).toEqual({ CapInh: hex(0n), CapPrm: DOCKER_DEFAULT, CapEff: DOCKER_DEFAULT, CapBnd: DOCKER_DEFAULT, CapAmb: hex(0n), NoNewPrivs: '1' });
  });

  it('--cap-drop ALL leaves nothing', () => {
    expect(caps(['--cap-drop', 'ALL'])).toMatchObject({ CapPrm: hex(0n), CapEff: hex(0n), CapBnd: hex(0n), CapAmb: hex(0n) });
  });

  it('--cap-add SYS_ADMIN adds bit 21', () => {
    const withAdmin = hex(0xa80425fbn | (1n << 21n));
    expect(caps(['--cap-add', 'SYS_ADMIN'])).toMatchObject({ CapPrm: withAdmin, CapEff: withAdmin, CapBnd: withAdmin });
  });

  it('gives a non-root --user no capabilities, keeping the bounding set', () => {
    expect(caps(['--user', '1000:1000'])).toMatchObject({ CapInh: hex(0n), CapPrm: hex(0n), CapEff: hex(0n), CapBnd: DOCKER_DEFAULT, CapAmb: hex(0n) });
  });

  it('--no-new-privs=false leaves the flag off', () => {
    expect(caps(['--no-new-privs=false']).NoNewPrivs).toBe('0');
  });

  it('keeps /proc/1 and /proc/self owned by the process\'s own ids inside (never nobody) after any change', () => {
    // A non-dumpable process's /proc belongs to the host's root, which shows as 65534.
    for (const args of [[], ['--cap-drop', 'ALL'], ['--user', '1000:1000'], ['--securebits', 'rR'], ['--no-init', '--cap-drop', 'ALL']]) {
      const out = box.sh('stat -c "%u:%g" /proc/1/environ /proc/1/status /proc/$$/status /proc/$$/environ', args).trim().split('\n');
      const ids = args.includes('--user') ? '1000:1000' : '0:0';
      expect(out, args.join(' ')).toEqual([ids, ids, ids, ids]);
    }
  });
});

describe('minictl run: securebits', () => {
  const probeDir = () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    fs.copyFileSync(testProgram('capprobe'), path.join(dir, 'capprobe'));
    fs.chmodSync(path.join(dir, 'capprobe'), 0o4755); // setuid to its owner: root inside
    return dir;
  };

  function probe(args: string[]): Record<string, string> {
    const r = box.run(['run', '-v', `${probeDir()}:/probe:ro`, ...args, testImage(), '/probe/capprobe']);
    expect(r.status, r.stderr).toBe(0);
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=')));
  }

  it('a setuid-root binary gives a non-root user capabilities without securebits (the control)', () => {
    const p = probe(['--user', '1000:1000', '--no-new-privs=false']);
    expect(p.euid).toBe('0');
    expect(p.CapEff).toBe(DOCKER_DEFAULT.padStart(16, '0'));
  });

  it('with --securebits rR a setuid-root binary gains nothing, and the bits cannot be cleared', () => {
    const p = probe(['--user', '1000:1000', '--no-new-privs=false', '--securebits', 'rR']);
    expect(p.CapEff).toBe(hex(0n));
    expect(p.CapPrm).toBe(hex(0n));
    expect(p.securebits).toBe('0x3');
    expect(p['clear-securebits']).toBe('EPERM');
  });

  it('with --securebits rR root itself gains nothing at exec', () => {
    const p = probe(['--securebits', 'rR']);
    expect(p.uid).toBe('0');
    expect(p.CapEff).toBe(hex(0n));
    expect(p['clear-securebits']).toBe('EPERM');
  });
});

describe('minictl run: bad privilege options', () => {
  it.each([
    [['--cap-add', 'cap_flying'], /unknown capability "cap_flying"/],
    [['--cap-drop', 'NOPE'], /unknown capability/],
    [['--securebits', 'rq'], /securebits/],
    [['--no-new-privs=maybe'], /--no-new-privs.*takes true or false/],
  ])('%j: one line, exit 125', (args, message) => {
    const r = box.run(['run', ...args, testImage(), 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('minictl unshare: the userns_child_exec experiments', () => {
  const unshare = (args: string[]) => spawnSync(CLI, ['unshare', ...args], { env: box.env, encoding: 'utf8' });

  it('-d shows the credentials; -X b-cap_sys_admin removes it from the bounding set', () => {
    const r = unshare(['-d', '-X', 'b-cap_sys_admin', '-d', '--', 'true']);
    expect(r.status, r.stderr).toBe(0);
    const [before, after] = r.stdout.split(/(?=^uids:)/m);
    expect(before).toMatch(/^uids: real=0 effective=0 saved=0$/m);
    expect(before).toMatch(/^capabilities: =ep$/m);
    expect(before).toMatch(/^bounding: all$/m);
    const bounding = /^bounding: (.*)$/m.exec(after)![1].split(',');
    expect(bounding).not.toContain('cap_sys_admin');
    expect(bounding).toContain('cap_sys_chroot');
    expect(bounding).toHaveLength(Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')));
  });

  it('-x sets the three sets, printed by -d in cap_to_text form', () => {
    const text = 'cap_chown,cap_kill=ep cap_setuid+i';
    const r = unshare(['-x', text, '-d', '--', 'true']);
    expect(r.status, r.stderr).toBe(0);
    expect(/^capabilities: (.*)$/m.exec(r.stdout)![1]).toBe(capToText(parseCapText(text)));
  });

  it('-A makes ambient capabilities survive exec as a non-root uid', () => {
    const run = (actions: string[]) => {
      const r = unshare(['-b', 'k', '-s', '1000', ...actions, '--', 'grep', '-E', '^(Uid|CapEff|CapAmb)', '/proc/self/status']);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const without = run([]);
    expect(statusField(without, 'Uid').split(/\s+/)[0]).toBe('1000');
    expect(statusField(without, 'CapEff')).toBe(hex(0n));
    const withAmbient = run(['-A']);
    expect(statusField(withAmbient, 'CapAmb')).toBe(hex(ALL));
    expect(statusField(withAmbient, 'CapEff')).toBe(hex(ALL));
  });

  it('-S sets real, effective and saved uids; -w waits', () => {
    const r = unshare(['-S', '1000,1001,0', '-w', '0.1', '-d', '--', 'true']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^uids: real=1000 effective=1001 saved=0$/m);
  });

  it.each([
    [['-X', 'p*cap_kill'], /Badly formed/],
    [['-X', 'b+cap_kill'], /cannot add to the bounding set/],
    [['-b', 'z'], /securebits/],
    [['-x', 'cap_bogus=ep'], /unknown capability/],
  ])('%j is refused with one line and nothing runs', (args, message) => {
    const marker = path.join(tempDir(), 'ran');
    const r = unshare([...args, '--', 'touch', marker]);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
