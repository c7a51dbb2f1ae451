import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWith, Sandbox, tempDir, testImage, waitFor } from '../support/harness';

const box = new Sandbox();
// Each test file gets its own state root, so names never collide across files.
const root = tempDir('minictl-state-');
const ctl = (args: string[], input?: string) => box.run(['--root', root, ...args], { input });

function psJson(all = true): { id: string; name: string; status: string; exitCode?: number; pid: number }[] {
  const r = ctl(['ps', ...(all ? ['-a'] : []), '--json']);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/**
 * Zombies this user's own processes leave unreaped (state Z, parent owned by this user). An
 * orphan handed to the system's init is that init's to reap, on its own schedule.
 */
function zombiesOfMine(): number[] {
  const mine = process.getuid!();
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const unreaped = state === 'Z' && fs.statSync(`/proc/${p}`).uid === mine;
      return unreaped && ppid !== '1' && fs.statSync(`/proc/${ppid}`).uid === mine ? [Number(p)] : [];
    } catch {
      return [];
    }
  });
}

function detach(name: string, script: string, extra: string[] = []): string {
  const r = ctl(['run', '-d', '--name', name, ...extra, testImage(), 'sh', '-c', script]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('detached containers', () => {
  it('outlive the CLI, supervised by the small launcher, with their output in a log', async () => {
    const marker = `40001.${process.pid}`;
    const id = detach('ticker', `echo hello; echo oops >&2; exec sleep ${marker}`);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await waitFor(() => processesWith(marker).length === 1, 10_000, 'the container');
    const [c] = psJson(false).filter((x) => x.name === 'ticker');
    expect(c).toMatchObject({ id, status: 'running' });
    // The supervisor is the launcher, not a Node process: its RSS is a few MB at most.
    const launcher = Number(fs.readFileSync(`/proc/${c.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(fs.readFileSync(`/proc/${launcher}/cmdline`, 'utf8')).toBe('minictl-init\0');
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${launcher}/status`, 'utf8'))![1]);
    expect(rss).toBeLessThan(8 * 1024);
    await waitFor(() => ctl(['logs', 'ticker']).stdout === 'hello\noops\n', 5_000, 'the log');
    expect(ctl(['inspect', 'ticker']).stdout).toContain(`"id": "${id}"`);
    const stop = ctl(['stop', '-t', '5', 'ticker']);
    expect(stop.status, stop.stderr).toBe(0);
    expect(psJson().find((x) => x.name === 'ticker')).toMatchObject({ status: 'stopped', exitCode: 143 });
    // logs -f of a stopped container prints everything and returns
    expect(ctl(['logs', '-f', 'ticker']).stdout).toBe('hello\noops\n');
    expect(ctl(['rm', 'ticker']).status).toBe(0);
    expect(psJson().find((x) => x.name === 'ticker')).toBeUndefined();
    expect(processesWith(marker)).toEqual([]);
    // the supervisor, reparented to the system's init once run -d returned, is nobody's zombie
    await waitFor(() => zombiesOfMine().length === 0, 3_000, 'no zombie left');
  });

  it('logs -f follows a running container until it stops', async () => {
    detach('follower', 'for i in 1 2 3; do echo line$i; sleep 0.2; done');
    const r = ctl(['logs', '-f', 'follower']);
    expect(r.stdout).toBe('line1\nline2\nline3\n');
    expect(psJson().find((x) => x.name === 'follower')?.status).toBe('stopped');
    expect(ctl(['rm', 'follower']).status).toBe(0);
  });

  it('stop sends SIGTERM, then SIGKILL after the timeout', async () => {
    const marker = `40002.${process.pid}`;
    detach('stubborn', `trap "echo ignoring TERM" TERM; echo up; sleep ${marker} & while true; do wait; done`);
    await waitFor(() => processesWith(marker).length === 1, 10_000, 'the container');
    const t0 = Date.now();
    expect(ctl(['stop', '-t', '1', 'stubborn']).status).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(ctl(['logs', 'stubborn']).stdout).toContain('ignoring TERM');
    expect(psJson().find((x) => x.name === 'stubborn')).toMatchObject({ status: 'stopped', exitCode: 137 });
    await waitFor(() => processesWith(marker).length === 0, 5_000, 'no orphan left');
    expect(ctl(['rm', 'stubborn']).status).toBe(0);
    await waitFor(() => zombiesOfMine().length === 0, 3_000, 'no zombie left');
  });

  it('exec lands in the same namespaces, under the same privilege policy, in a directory inside', async () => {
    detach('target', `exec sleep 40003.${process.pid}`);
    await waitFor(() => processesWith(`40003.${process.pid}`).length === 1, 10_000, 'the container');
    const ns = 'for n in user mnt pid uts ipc net; do readlink /proc/$$/ns/$n; done';
    const inside = ctl(['exec', 'target', 'sh', '-c', `${ns}; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; pwd`]);
    expect(inside.status, inside.stderr).toBe(0);
    const pid1 = ctl(['exec', 'target', 'sh', '-c', 'for n in user mnt pid uts ipc net; do readlink /proc/1/ns/$n; done']);
    const lines = inside.stdout.trim().split('\n');
    expect(lines.slice(0, 6)).toEqual(pid1.stdout.trim().split('\n'));
    expect(lines.slice(6)).toEqual(['CapEff:\t00000000a80425fb', 'NoNewPrivs:\t1', 'Seccomp:\t2', '/']);
    const user = ctl(['exec', '-w', '/tmp', '-u', '1000:1000', '-e', 'X=1', 'target', 'sh', '-c', 'id -u; pwd; echo $X; grep CapEff /proc/self/status']);
    expect(user.stdout.trim().split('\n')).toEqual(['1000', '/tmp', '1', 'CapEff:\t0000000000000000']);
    expect(ctl(['exec', 'target', 'sh', '-c', 'exit 7']).status).toBe(7);
    expect(ctl(['exec', 'target', 'no-such-command']).status).toBe(127);
    expect(ctl(['rm', '-f', 'target']).status).toBe(0);
    await waitFor(() => processesWith(`40003.${process.pid}`).length === 0, 5_000, 'the container gone');
  });

  it('exec --user root into a container run as another user gets the container\'s capabilities, as run would give root', async () => {
    detach('as-user', `exec sleep 40007.${process.pid}`, ['--user', '1000:1000', '--cap-drop', 'NET_RAW']);
    await waitFor(() => processesWith(`40007.${process.pid}`).length === 1, 10_000, 'the container');
    const caps = (who: string[]) => ctl(['exec', ...who, 'as-user', 'sh', '-c', 'id -u; grep -E "^Cap(Eff|Bnd):" /proc/self/status']).stdout.trim().split('\n');
    // Docker's default set without NET_RAW (bit 13): 0xa80425fb & ~0x2000
    expect(caps([])).toEqual(['1000', 'CapEff:\t0000000000000000', 'CapBnd:\t00000000a80405fb']);
    expect(caps(['--user', 'root'])).toEqual(['0', 'CapEff:\t00000000a80405fb', 'CapBnd:\t00000000a80405fb']);
    expect(ctl(['rm', '-f', 'as-user']).status).toBe(0);
    await waitFor(() => processesWith(`40007.${process.pid}`).length === 0, 5_000, 'the container gone');
  });

  // A real-time signal goes through the container's init too (it forwards all but KILL/STOP).
  it.each([
    ['USR1', 'USR1', 'killme'],
    ['RTMIN+3', '37', 'killrt'],
  ])('kill -s %s reaches the container', async (signal, trapName, name) => {
    detach(name, `trap "echo got ${signal}; exit 3" ${trapName}; echo up; while true; do sleep 0.1; done`);
    await waitFor(() => ctl(['logs', name]).stdout.includes('up'), 10_000, 'the container');
    expect(ctl(['kill', '-s', signal, name]).status).toBe(0);
    await waitFor(() => psJson().find((x) => x.name === name)?.status === 'stopped', 5_000, 'the container to stop');
    expect(psJson().find((x) => x.name === name)?.exitCode).toBe(3);
    expect(ctl(['logs', name]).stdout).toContain(`got ${signal}`);
    ctl(['rm', name]);
  });

  it('a container that died shows as stopped; a recycled pid is never signalled', async () => {
    detach('shortlived', 'exit 0');
    await waitFor(() => psJson().find((x) => x.name === 'shortlived')?.status === 'stopped', 10_000, 'it to end');
    // Pretend its init pid now belongs to this very test process: minictl must not signal it.
    const dir = path.join(root, psJson().find((x) => x.name === 'shortlived')!.id);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ ...state, pid: process.pid }));
    fs.rmSync(path.join(dir, 'exit'));
    expect(psJson().find((x) => x.name === 'shortlived')?.status).toBe('stopped');
    expect(ctl(['kill', 'shortlived']).status).toBe(125);
    expect(ctl(['rm', 'shortlived']).status).toBe(0);
  });

  it('an image in use by a container is neither removed nor pruned', async () => {
    expect(ctl(['import', '-q', testImage(), 'inuse:1']).status).toBe(0);
    detach('user-of-image', `exec sleep 40005.${process.pid}`, []);
    // detach() ran the test image by path; run one from the name too
    const byName = ctl(['run', '-d', '--name', 'named-user', 'inuse:1', 'sleep', `40006.${process.pid}`]);
    expect(byName.status, byName.stderr).toBe(0);
    const rmi = ctl(['rmi', 'inuse:1']);
    expect(rmi.status).toBe(125);
    expect(rmi.stderr.trim().split('\n')).toEqual([expect.stringMatching(/image inuse:1 is in use by container .*named-user.*: stop and remove it first/)]);
    expect(ctl(['images', '--json']).stdout).toContain('inuse');
    ctl(['prune']);
    expect(ctl(['exec', 'named-user', 'true']).status).toBe(0);
    expect(ctl(['rm', '-f', 'named-user', 'user-of-image']).status).toBe(0);
    expect(ctl(['rmi', 'inuse:1']).status).toBe(0);
  });

  it('names are unique even when containers start at the same moment', async () => {
    const starts = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number>((resolve) => {
            const c = box.spawn(['--root', root, 'run', '-d', '--name', 'racer', testImage(), 'sleep', `40007.${process.pid}`]);
            c.on('close', (code) => resolve(code ?? -1));
          }),
      ),
    );
    expect(starts.filter((c) => c === 0)).toHaveLength(1);
    expect(starts.filter((c) => c === 125)).toHaveLength(3);
    expect(psJson().filter((x) => x.name === 'racer')).toHaveLength(1);
    expect(ctl(['rm', '-f', 'racer']).status).toBe(0);
  });

  it('bad input: unknown or duplicate names, rm of a running container, bad signals', async () => {
    const one = (args: string[], message: RegExp) => {
      const r = ctl(args);
      expect(r.status, args.join(' ')).toBe(125);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(message)]);
    };
    detach('dup', `exec sleep 40004.${process.pid}`);
    await waitFor(() => processesWith(`40004.${process.pid}`).length === 1, 10_000, 'the container');
    one(['run', '-d', '--name', 'dup', testImage(), 'true'], /already in use/);
    one(['rm', 'dup'], /is running: stop it first, or force it \(rm -f, delete --force\)/);
    one(['kill', '-s', 'SIGNOPE', 'dup'], /unknown signal "SIGNOPE"/);
    one(['stop', 'nobody-here'], /no container "nobody-here"/);
    one(['exec', 'nobody-here', 'true'], /no container "nobody-here"/);
    one(['logs', 'nobody-here'], /no container/);
    expect(psJson().filter((x) => x.name === 'dup')).toHaveLength(1);
    expect(ctl(['rm', '-f', 'dup']).status).toBe(0);
  });
});
