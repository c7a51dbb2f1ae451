import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { procAddon } from '../src/addon';
import { startAll } from '../src/processes';

describe('startAll', () => {
  it('runs commands side by side and reports each one\'s status and stderr', () => {
    const [a, b] = startAll([
      { file: '/bin/sh', args: ['-c', 'echo first >&2; exit 3'] },
      { file: 'sh', args: ['-c', 'kill -TERM $$'] },
    ]).finish();
    expect(a).toMatchObject({ code: 3, signal: null, stderr: 'first\n' });
    expect(b).toMatchObject({ code: null, signal: 15, stderr: '' });
  });

  it('reports a command that cannot be started as an errno, not a status', () => {
    const [r] = startAll([{ file: '/nonexistent/helper', args: [] }]).finish();
    expect(r.error?.code).toBe('ENOENT');
    expect(r.code).toBeNull();
  });
});

describe('spawn', () => {
  it('gives the child exactly the fds asked for, default signal dispositions and an empty mask', () => {
    const proc = procAddon();
    const [r, w] = proc.pipe();
    // Node ignores SIGPIPE; the child must not inherit that.
    const script = 'ls /proc/self/fd | sort -n | tr "\\n" " "; grep -E "^Sig(Ign|Blk)" /proc/self/status';
    const pid = proc.spawn('/bin/sh', ['sh', '-c', script], [-1, w, -1], true, false);
    fs.closeSync(w);
    const out = fs.readFileSync(r, 'utf8');
    fs.closeSync(r);
    expect(proc.wait(pid, false)).toEqual({ code: 0, signal: null });
    // 0-2 and 3 (ls's own directory fd): nothing of Node's leaks.
    expect(out).toMatch(/^0 1 2 3 SigBlk/);
    expect(out).toMatch(/SigBlk:\s+0+\n/);
    expect(out).toMatch(/SigIgn:\s+0+\n/);
  });

  it('runs a sealed copy whose /proc/PID/exe cannot be written', () => {
    const proc = procAddon();
    const [r, w] = proc.pipe();
    const pid = proc.spawn('/bin/sh', ['sh', '-c', 'readlink /proc/$$/exe; echo x >> /proc/$$/exe || echo refused'], [-1, w, w], false, true);
    fs.closeSync(w);
    const out = fs.readFileSync(r, 'utf8');
    fs.closeSync(r);
    proc.wait(pid, false);
    expect(out).toMatch(/^\/memfd:sh \(deleted\)\n/);
    expect(out).toMatch(/refused\n$/);
  });
});

describe('pidfd', () => {
  it('signals the process it was opened for, and refuses once that process is gone', () => {
    const proc = procAddon();
    const pid = proc.spawn('sleep', ['sleep', '30'], [-1, -1, -1], false, false);
    const pidfd = proc.pidfdOpen(pid);
    try {
      proc.pidfdSignal(pidfd, 15);
      expect(proc.wait(pid, false)).toEqual({ code: null, signal: 15 });
      // reaped: the pid may now be anyone's, the pidfd still names the dead process
      expect(() => proc.pidfdSignal(pidfd, 15)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      fs.closeSync(pidfd);
    }
  });
});
