import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, Sandbox, testImage } from '../support/harness';

const box = new Sandbox();

describe('minictl run: fallbacks when the kernel says no', () => {
  it('binds the host /proc with a one-line warning when a new procfs is "too revealing"', () => {
    // An over-mounted /proc/sys in our own namespaces makes the kernel refuse a fresh procfs.
    const r = spawnSync(
      'unshare',
      ['-Urm', 'sh', '-c', 'mount -t tmpfs none /proc/sys && exec "$@"', 'sh', CLI, 'run', '--userns', 'root', testImage(), 'sh', '-c', 'head -1 /proc/self/status; echo $$'],
      { env: box.env, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^Name:\s+head$/), '2']);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^minictl: warning: the kernel refused a new \/proc \(EPERM\); bound the host's \/proc instead/),
    ]);
  });

  it('uses a per-run copy of the image where overlayfs is unavailable, and removes it', () => {
    box.sh('true');
    fs.writeFileSync(path.join(box.data, 'minictl', 'no-overlay'), `${os.release()} EINVAL\n`);
    const rootfs = box.trees()[0];
    const out = box.sh('grep " / " /proc/self/mounts | cut -d" " -f3; echo x > /bin/copied; cat /bin/copied');
    expect(out.trim().split('\n')).toEqual([expect.not.stringMatching(/^overlay$/), 'x']);
    expect(fs.existsSync(path.join(rootfs, 'bin', 'copied'))).toBe(false);
    expect(fs.readdirSync(path.join(box.data, 'minictl', 'containers'))).toEqual([]);
  });
});
