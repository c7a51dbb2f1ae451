import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, processesWithEnv, Sandbox, tempDir, testImage, testProgram, waitFor } from '../support/harness';

const box = new Sandbox();
const root = tempDir('minictl-oci-state-');
const ctl = (args: string[], opts: { cwd?: string; input?: string } = {}) => box.run(['--root', root, ...args], opts);
const runc = (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'runc')));

/** A bundle: the test image unpacked as rootfs/, and config.json from `minictl spec` (or runc's). */
function bundle(edit: (c: any) => void = () => {}, writer: 'minictl' | 'runc' = 'minictl'): string {
  const dir = tempDir('minictl-bundle-');
  fs.mkdirSync(path.join(dir, 'rootfs'));
  execFileSync('tar', ['-C', path.join(dir, 'rootfs'), '-xzf', testImage()]);
  if (writer === 'runc') execFileSync('runc', ['spec', '--rootless'], { cwd: dir });
  else expect(ctl(['spec', '--bundle', dir]).status).toBe(0);
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config));
  return dir;
}

function state(id: string): any {
  const r = ctl(['state', id]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The OCI state schema: required fields and their types. */
function expectOciState(s: any, id: string, bundleDir: string): void {
  expect(Object.keys(s).sort()).toEqual(['annotations', 'bundle', 'id', 'ociVersion', 'pid', 'status']);
  expect(s.ociVersion).toMatch(/^1\.\d+\.\d+/);
  expect(s.id).toBe(id);
  expect(['creating', 'created', 'running', 'stopped']).toContain(s.status);
  expect(Number.isInteger(s.pid) && s.pid >= 0).toBe(true);
  expect(s.bundle).toBe(bundleDir);
  expect(typeof s.annotations).toBe('object');
}

describe('the OCI runtime command line', () => {
  it('spec writes a rootless config.json and refuses to overwrite one', () => {
    const dir = tempDir();
    expect(ctl(['spec', '--rootless', '--bundle', dir]).status).toBe(0);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(c.linux.uidMappings).toEqual([{ containerID: 0, hostID: process.getuid!(), size: 1 }]);
    expect(c.linux.namespaces.map((n: any) => n.type)).toContain('user');
    const again = ctl(['spec', '--bundle', dir]);
    expect(again.status).toBe(125);
    expect(again.stderr).toMatch(/exists: remove it first/);
  });

  it('create, start, state and delete: created → running → stopped', async () => {
    const dir = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'echo started; read line < /dev/null; sleep 0.5; echo done'];
      c.annotations = { 'org.example.test': 'yes' };
    });
    const pidFile = path.join(tempDir(), 'pid');
    const create = ctl(['create', '--bundle', dir, '--pid-file', pidFile, 'c1']);
    expect(create.status, create.stderr).toBe(0);
    const created = state('c1');
    expectOciState(created, 'c1', dir);
    expect(created.status).toBe('created');
    expect(created.annotations).toEqual({ 'org.example.test': 'yes' });
    expect(Number(fs.readFileSync(pidFile, 'utf8'))).toBe(created.pid);
    expect(ctl(['logs', 'c1']).stdout).toBe(''); // nothing runs before start
    expect(ctl(['start', 'c1']).status).toBe(0);
    expect(state('c1').status).toBe('running');
    await waitFor(() => state('c1').status === 'stopped', 10_000, 'the container to finish');
    expectOciState(state('c1'), 'c1', dir);
    expect(state('c1').pid).toBe(0);
    expect(ctl(['logs', 'c1']).stdout).toBe('started\ndone\n');
    expect(ctl(['delete', 'c1']).status).toBe(0);
    expect(ctl(['state', 'c1']).status).toBe(125);
  });

  it('create --console-socket hands the terminal to whoever listens there', async () => {
    const dir = bundle((c) => {
      c.process.terminal = true;
      c.process.args = ['sh'];
    });
    const sock = path.join(tempDir(), 'console.sock');
    const listener = spawn(testProgram('recvtty'), [sock, 'tty; echo from-the-pty; exit 0\n']);
    let got = '';
    listener.stdout.on('data', (d) => (got += d));
    try {
      await waitFor(() => got.includes('listening'), 5_000, 'the listener');
      const create = ctl(['create', '--bundle', dir, '--console-socket', sock, 'tty1']);
      expect(create.status, create.stderr).toBe(0);
      await waitFor(() => got.includes('got terminal'), 5_000, 'the terminal');
      expect(ctl(['start', 'tty1']).status).toBe(0);
      await waitFor(() => got.includes('from-the-pty'), 10_000, 'the container to talk through it');
      expect(got).toMatch(/\/dev\/pts\/0/);
      await waitFor(() => state('tty1').status === 'stopped', 10_000, 'the shell to exit');
    } finally {
      listener.kill();
    }
    expect(ctl(['delete', 'tty1']).status).toBe(0);
    // asked for a terminal, with nowhere to send it: refused, nothing left
    const r = ctl(['create', '--bundle', dir, 'tty2']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/pass --console-socket/);
    expect(ctl(['state', 'tty2']).status).toBe(125);
    // a console socket nobody listens on: the hand-over fails, and create says so, every time
    for (let i = 0; i < 3; i++) {
      const gone = ctl(['create', '--bundle', dir, '--console-socket', path.join(tempDir(), 'nobody.sock'), 'tty3']);
      expect(gone.status).toBe(125);
      expect(gone.stderr.trim()).toBe('minictl: hand the terminal to the console socket: ENOENT');
      expect(ctl(['state', 'tty3']).status).toBe(125);
    }
  });

  it('joins namespaces given by path: a pod of two containers sharing user, network and uts', async () => {
    const infra = ctl(['run', '-d', '--name', 'infra', '--hostname', 'podhost', testImage(), 'sleep', `40010.${process.pid}`]);
    expect(infra.status, infra.stderr).toBe(0);
    const pid = state('infra').pid;
    const ns = (n: string) => fs.readlinkSync(`/proc/${pid}/ns/${n}`);
    const dir = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'hostname; for n in user net uts ipc; do readlink /proc/self/ns/$n; done'];
      c.linux.namespaces = [
        ...c.linux.namespaces.filter((n: any) => !['user', 'network', 'uts'].includes(n.type)),
        { type: 'user', path: `/proc/${pid}/ns/user` },
        { type: 'network', path: `/proc/${pid}/ns/net` },
        { type: 'uts', path: `/proc/${pid}/ns/uts` },
      ];
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
      delete c.hostname;
    });
    const r = box.run(['run', '--bundle', dir]);
    expect(r.status, r.stderr).toBe(0);
    const [host, user, net, uts, ipc] = r.stdout.trim().split('\n');
    expect([host, user, net, uts]).toEqual(['podhost', ns('user'), ns('net'), ns('uts')]);
    expect(ipc).not.toBe(ns('ipc')); // not asked to share: its own
    // all of them: pid and mount too (the pod's processes and filesystem)
    const all = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'cat /tmp/from-infra; ps -o comm | grep -c sleep'];
      c.linux.namespaces = ['user', 'network', 'uts', 'ipc', 'pid', 'mount'].map((t) => ({ type: t, path: `/proc/${pid}/ns/${t === 'network' ? 'net' : t === 'mount' ? 'mnt' : t}` }));
      delete c.linux.uidMappings;
      delete c.linux.gidMappings;
      delete c.hostname;
    });
    expect(ctl(['exec', 'infra', 'sh', '-c', 'echo written-by-infra > /tmp/from-infra']).status).toBe(0);
    const shared = box.run(['run', '--bundle', all]);
    expect(shared.status, shared.stderr).toBe(0);
    const [file, sleeps] = shared.stdout.trim().split('\n');
    expect(file).toBe('written-by-infra');
    expect(Number(sleeps)).toBe(1);
    expect(ctl(['rm', '-f', 'infra']).status).toBe(0);
  });

  it('kill ID SIGNAL and delete --force', async () => {
    const dir = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'trap "exit 9" HUP; while true; do sleep 0.1; done'];
    });
    expect(ctl(['create', '--bundle', dir, 'c2']).status).toBe(0);
    expect(ctl(['start', 'c2']).status).toBe(0);
    expect(ctl(['delete', 'c2']).stderr).toMatch(/is running: stop it first, or force it \(rm -f, delete --force\)/);
    expect(ctl(['kill', 'c2', 'HUP']).status).toBe(0);
    await waitFor(() => state('c2').status === 'stopped', 5_000, 'the signal');
    expect(ctl(['delete', 'c2']).status).toBe(0);
    expect(ctl(['create', '--bundle', dir, 'c3']).status).toBe(0);
    expect(ctl(['delete', '--force', 'c3']).status).toBe(0);
    expect(ctl(['state', 'c3']).status).toBe(125);
  });

  it('reports every field it does not apply: hooks, domainname, a hostname without uts', () => {
    const dir = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['true'];
      c.hooks = { prestart: [{ path: '/bin/true' }] };
      c.domainname = 'example.org';
      c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts');
    });
    const r = box.run(['run', '--bundle', dir]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['hooks', 'domainname', 'hostname \\(it needs a uts namespace\\)']) expect(r.stderr).toMatch(new RegExp(`config\\.json: ${f} is not supported`));
  });

  it('run --bundle runs a bundle attached and passes its exit status', () => {
    const dir = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'hostname; cat /proc/self/uid_map; exit 6'];
      c.hostname = 'bundlebox';
    });
    const r = box.run(['run', '--bundle', dir]);
    expect(r.status).toBe(6);
    expect(r.stdout.split('\n')[0]).toBe('bundlebox');
  });

  it('run --bundle keeps one launcher: the one started before parsing is ended', async () => {
    const dir = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sleep', '3'];
    });
    const mark = `MINICTL_TEST_RUN=bundle-${process.pid}`;
    const child = spawn(CLI, ['run', '--bundle', dir], { env: { ...box.env, MINICTL_TEST_RUN: mark.split('=')[1] }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // minictl, its launcher and the container's init (the launcher's child, which does not
      // exec); the command has the bundle's environment
      await waitFor(() => processesWithEnv(mark).length >= 3, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(processesWithEnv(mark)).toHaveLength(3);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it.skipIf(!runc)('a config.json written by runc spec --rootless runs unchanged', () => {
    const dir = bundle(() => {}, 'runc');
    // runc's spec wants a terminal and runs sh: feed it a script on stdin.
    const r = spawnSync(CLI, ['run', '--bundle', dir], { env: box.env, input: 'echo uid=$(id -u) host=$(hostname)\nexit 3\n', encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/uid=0 host=runc/);
    // what minictl cannot honour as written is reported, not dropped in silence
    expect(r.stderr).toMatch(/ambient .* is not supported by minictl and is not applied/);
  });

  it('bad input: one line naming the field or the container, and nothing left behind', () => {
    const one = (args: string[], message: RegExp) => {
      const r = ctl(args);
      expect(r.status, args.join(' ')).toBe(125);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(message)]);
    };
    const broken = tempDir();
    fs.writeFileSync(path.join(broken, 'config.json'), '{ not json');
    one(['create', '--bundle', broken, 'b1'], /config\.json is not valid JSON/);
    const badNs = bundle((c) => {
      c.process.terminal = false;
      c.linux.namespaces.push({ type: 'time-travel' });
    });
    one(['create', '--bundle', badNs, 'b2'], /linux\.namespaces\[\d+\]\.type "time-travel"/);
    const good = bundle((c) => {
      c.process.terminal = false;
      c.process.args = ['sleep', '5'];
    });
    expect(ctl(['create', '--bundle', good, 'b3']).status).toBe(0);
    one(['create', '--bundle', good, 'b3'], /"b3" is already in use/);
    expect(ctl(['start', 'b3']).status).toBe(0);
    one(['start', 'b3'], /is running, not created/);
    one(['kill', 'b3', 'NOTASIGNAL'], /unknown signal/);
    one(['state', 'nope'], /no container "nope"/);
    // --log: what an engine driving minictl reads
    const log = path.join(tempDir(), 'runtime.log');
    expect(box.run(['--root', root, '--log', log, '--log-format', 'json', 'state', 'nope']).status).toBe(125);
    expect(JSON.parse(fs.readFileSync(log, 'utf8'))).toMatchObject({ level: 'error', msg: 'no container "nope" (see minictl ps -a)' });
    expect(ctl(['delete', '-f', 'b3']).status).toBe(0);
    expect(fs.readdirSync(root).filter((d) => d.startsWith('b'))).toEqual([]);
  });
});
