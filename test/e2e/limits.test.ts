import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox, testImage } from '../support/harness';

const box = new Sandbox();

describe('resource limits and extra mounts', () => {
  it('--ulimit sets soft and hard limits', () => {
    expect(box.sh('ulimit -n; ulimit -Hn; ulimit -c', ['--ulimit', 'nofile=100:200', '--ulimit', 'core=0']).trim().split('\n')).toEqual(['100', '200', '0']);
  });

  it.each([
    [['--ulimit', 'nofiles=1'], /unknown --ulimit name "nofiles"/],
    [['--ulimit', 'nofile=10:5'], /soft limit is above the hard limit/],
    [['--ulimit', 'nofile=1:99999999999'], /cannot go above yours/],
    [['--tmpfs', 'relative'], /invalid --tmpfs/],
    [['--memory', 'lots'], /invalid --memory/],
  ])('%j: one line, exit 125', (args, message) => {
    const r = box.run(['run', ...args, testImage(), 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  });

  it('--tmpfs mounts a tmpfs with its options', () => {
    expect(box.sh('grep " /run " /proc/mounts', ['--tmpfs', '/run:size=1m,mode=700'])).toMatch(/^tmpfs \/run tmpfs rw,nosuid,nodev,relatime,size=1024k,mode=700/);
  });

  it('--unmask makes a path visible and writable again', () => {
    expect(box.sh('echo 1 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward', ['--unmask', '/proc/sys', '--cap-add', 'NET_ADMIN']).trim()).toBe('1');
    // /proc/interrupts is world-readable on the host and masked by default
    expect(fs.statSync('/proc/interrupts').mode & 0o004).toBeTruthy();
    expect(Number(box.sh('wc -c < /proc/interrupts').trim())).toBe(0);
    expect(Number(box.sh('wc -c < /proc/interrupts', ['--unmask', 'ALL']).trim())).toBeGreaterThan(0);
  });

  it('--memory and --pids-limit apply through a delegated cgroup, or say why they cannot', () => {
    const r = box.run(['run', '--memory', '64m', '--pids-limit', '50', testImage(), 'sh', '-c', 'cat /proc/self/cgroup']);
    expect(r.status, r.stderr).toBe(0);
    if (r.stderr) {
      // Not delegated here: a warning, never silence.
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^minictl: warning: --memory and --pids-limit ignored: .*minictl doctor/)]);
    } else {
      const group = /^0::(.*)$/m.exec(r.stdout)![1];
      expect(group).toMatch(/minictl-/);
    }
  });
});
