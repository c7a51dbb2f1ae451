import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, Sandbox, processesWith, processesWithEnv, statusField, tempDir, testImage, waitFor } from '../support/harness';

const box = new Sandbox();

describe('minictl run: the process', () => {
  it('runs /bin/sh when no command is given, with stdin as a plain pipe', () => {
    const r = box.run(['run', testImage()], { input: 'echo from-stdin-$((1+2))\n' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('from-stdin-3\n');
    expect(box.run(['run', testImage(), 'cat'], { input: 'hi\n' }).stdout).toBe('hi\n');
  });

  it('passes the exit status through, and 128+N for death by signal N', () => {
    expect(box.run(['run', testImage(), 'sh', '-c', 'exit 3']).status).toBe(3);
    expect(box.run(['run', '--no-init', testImage(), 'sh', '-c', 'exit 42']).status).toBe(42);
    expect(box.run(['run', testImage(), 'sh', '-c', 'kill -KILL $$']).status).toBe(137);
    expect(box.run(['run', testImage(), 'sh', '-c', 'kill -TERM $$']).status).toBe(143);
  });

  it('sets a default environment that -e and --env-file override', () => {
    const dir = tempDir();
    const file = path.join(dir, 'env');
    fs.writeFileSync(file, '# comment\nFROM_FILE=1\nBOTH=file\n\n');
    const out = box.sh('env | sort', ['--hostname', 'envbox', '--env-file', file, '-e', 'BOTH=flag', '-e', 'X=a=b']);
    const env = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env.PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(env.HOME).toBe('/root');
    expect(env.HOSTNAME).toBe('envbox');
    expect(env.FROM_FILE).toBe('1');
    expect(env.BOTH).toBe('flag');
    expect(env.X).toBe('a=b');
    expect(env.TERM).toBeUndefined();
    expect(env.XDG_DATA_HOME).toBeUndefined();
  });

  it("leaves node's --env-file, NODE_OPTIONS and NODE_EXTRA_CA_CERTS to minictl and the container", () => {
    // minictl is an executable made of node, which would act on these before minictl's code ran
    const args = box.run(['run', testImage(), 'echo', '--env-file=/nowhere', '--env-file-if-exists', '/nowhere']);
    expect(args.stderr).toBe('');
    expect(args.status).toBe(0);
    expect(args.stdout).toBe('--env-file=/nowhere --env-file-if-exists /nowhere\n');
    const env = box.run(['run', '-e', 'NODE_OPTIONS', testImage(), 'sh', '-c', 'echo "$NODE_OPTIONS"'], {
      env: { NODE_OPTIONS: '--max-old-space-size=64', NODE_EXTRA_CA_CERTS: '/nowhere/ca.pem' },
    });
    expect(env.stderr).toBe('');
    expect(env.status).toBe(0);
    expect(env.stdout).toBe('--max-old-space-size=64\n');
  });

  it('starts in -w DIR (made if missing), creating nothing on the host', () => {
    expect(box.sh('pwd', ['-w', '/etc']).trim()).toBe('/etc');
    expect(box.sh('pwd').trim()).toBe('/');
    // a missing directory is made, as Docker and runc do; a read-only root cannot
    expect(box.sh('pwd', ['-w', '/no/such/dir']).trim()).toBe('/no/such/dir');
    const r = box.run(['run', '--read-only', '-w', '/no/such/dir', testImage(), 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/change directory to \/no\/such\/dir: ENOENT/);
  });

  it('closes every inherited fd above stdio', async () => {
    // An extra fd handed down by the caller, like a shell's `exec 77</etc`.
    const leak = fs.openSync('/etc/hostname', 'r');
    // '; true' keeps sh from exec'ing ls, so the listing is of the shell minictl started.
    const child = spawn(CLI, ['run', testImage(), 'sh', '-c', 'ls /proc/$$/fd; true'], {
      env: box.env,
      stdio: ['ignore', 'pipe', 'pipe', leak, leak, leak],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.on('close', r));
    fs.closeSync(leak);
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual(['0', '1', '2']);
  });

  it('resets signal dispositions and the signal mask before exec', () => {
    // Node resets signals 1-31 for its children itself; a real-time signal ignored by the
    // caller reaches minictl unless minictl resets it (bit 36: SIGRTMIN+3).
    const ignored = spawnSync('bash', ['-c', 'trap "" RTMIN+3; grep SigIgn /proc/self/status'], { encoding: 'utf8' });
    expect(BigInt(`0x${statusField(ignored.stdout, 'SigIgn')}`) & (1n << 36n)).not.toBe(0n);
    const r = spawnSync('bash', ['-c', 'trap "" RTMIN+3; exec "$@"', 'sh', CLI, 'run', testImage(), 'grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status'], {
      env: box.env,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(statusField(r.stdout, 'SigBlk')).toBe('0000000000000000');
    expect(statusField(r.stdout, 'SigIgn')).toBe('0000000000000000');
  });

  it('puts the command in its own session, so it cannot reach the caller\'s terminal', () => {
    const [sid, pid] = box.sh('cut -d" " -f6 /proc/$$/stat; echo $$').trim().split('\n');
    expect(sid).toBe(pid);
  });

  it('forwards SIGTERM to the command and leaves no process behind', async () => {
    const marker = `31337.${process.pid}`;
    // minictl's environment marks it, its launcher and the container's init (not the command)
    const mark = `MINICTL_TEST_RUN=${marker}`;
    const child = box.spawn(['run', testImage(), 'sh', '-c', `trap "echo got-term; exit 7" TERM; echo ready; sleep ${marker} & wait`], {
      env: { MINICTL_TEST_RUN: marker },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    // 'ready' comes before sleep is exec'd: wait for the process itself
    await waitFor(() => out.includes('ready') && processesWith(marker).length === 1, 15_000, 'the container to start');
    expect(processesWithEnv(mark)).toHaveLength(3);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(out).toContain('got-term');
    expect(code).toBe(7);
    await waitFor(() => processesWith(marker).length === 0 && processesWithEnv(mark).length === 0, 5_000, 'the container\'s processes to go');
  });

  it('ends a pid-1 command that ignores SIGTERM on a second SIGTERM, leaving nothing behind', async () => {
    const marker = `31338.${process.pid}`;
    const child = box.spawn(['run', '--no-init', testImage(), 'sh', '-c', `echo ready; exec sleep ${marker}`]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('ready') && processesWith(marker).length === 1, 15_000, 'the container to start');
    child.kill('SIGTERM'); // pid 1 with default dispositions ignores it, as the kernel rules say
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWith(marker)).toHaveLength(1);
    child.kill('SIGTERM'); // the second one is final
    const code = await new Promise((r) => child.on('close', r));
    expect(code).not.toBe(0);
    await waitFor(() => processesWith(marker).length === 0, 5_000, 'the container to be killed');
  });

  it('takes the container down when minictl itself is killed', async () => {
    const marker = `31339.${process.pid}`;
    const child = box.spawn(['run', testImage(), 'sh', '-c', `echo ready; exec sleep ${marker}`]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('ready') && processesWith(marker).length === 1, 15_000, 'the container to start');
    child.kill('SIGKILL');
    await waitFor(() => processesWith(marker).length === 0, 5_000, 'the container to go with minictl');
  });

  it('reaps orphans as init', () => {
    const out = box.sh('(sleep 0.2 &) ; sleep 0.5; ps -o stat,comm | grep -c "^Z" || true');
    expect(out.trim()).toBe('0');
  });
});

describe('minictl run: terminal', () => {
  const script = fs.existsSync('/usr/bin/script') ? '/usr/bin/script' : undefined;

  it.skipIf(!script)('gives an interactive shell a pty of its own, with the window size and job control', async () => {
    const cmd = `stty rows 31 cols 97; ${CLI} run ${testImage()} sh`;
    const child = spawn(script!, ['-qfec', cmd, '/dev/null'], { env: box.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await waitFor(() => out.includes('# '), 15_000, 'the prompt');
    child.stdin.write('tty; stty size; echo term=$TERM; sleep 100\n');
    await waitFor(() => out.includes('term='), 5_000, 'the command');
    await new Promise((r) => setTimeout(r, 200));
    child.stdin.write('\x03'); // Ctrl-C interrupts sleep inside, not the shell or minictl
    child.stdin.write('echo after=$?; exit 5\n');
    const code = await new Promise((r) => child.on('close', r));
    expect(out).toMatch(/\/dev\/pts\/0\r?\n/);
    expect(out).toMatch(/31 97\r?\n/);
    expect(out).toMatch(/term=\S+/);
    expect(out).toMatch(/after=130/);
    expect(code).toBe(5);
  });
});
