import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Sandbox, processesWith, tempDir, testImage, waitFor } from '../support/harness';

const box = new Sandbox();
const hostInterfaces = () =>
  fs.readFileSync('/proc/net/dev', 'utf8').trim().split('\n').slice(2).map((l) => l.split(':')[0].trim()).sort();
const usable = (p: string) => {
  try {
    fs.accessSync(p, fs.constants.R_OK | fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
};
const pastaReady = usable('/dev/net/tun') && (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'pasta')));

describe('--network', () => {
  it('none (the default): only lo, up, and /etc files of its own', () => {
    const out = box.sh('tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; echo --; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf', ['--hostname', 'netbox']);
    const [devs, etc] = out.split('--\n');
    expect(devs.trim().split('\n')).toEqual(['lo']);
    expect(etc).toContain('netbox\n');
    expect(etc).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(etc).toMatch(/^127\.0\.1\.1\tnetbox$/m);
    expect(etc).not.toMatch(/^nameserver/m);
  });

  it("host: the host's interfaces and resolver, /sys read-only", () => {
    const out = box.sh('tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; echo --; cat /etc/resolv.conf; echo --; grep " /sys " /proc/mounts', ['--network', 'host']);
    const [devs, resolv, sys] = out.split('--\n');
    expect(devs.trim().split('\n').sort()).toEqual(hostInterfaces());
    expect(resolv).toBe(fs.existsSync('/etc/resolv.conf') ? fs.readFileSync('/etc/resolv.conf', 'utf8') : '');
    expect(sys).toMatch(/ ro,/);
  });

  it('refuses an unknown mode and -p without pasta', () => {
    for (const [args, message] of [
      [['--network', 'bridge'], /--network takes none, host or pasta/],
      [['-p', '8080:80'], /add --network pasta/],
      [['--network', 'pasta', '-p', '99999:80'], /invalid -p/],
    ] as const) {
      const r = box.run(['run', ...args, testImage(), 'true']);
      expect(r.status).toBe(125);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
    }
  });

  it('pasta: says what to install when passt is missing', () => {
    const bin = tempDir();
    for (const tool of ['node', 'readlink']) fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim(), path.join(bin, tool));
    const r = box.run(['run', '--network', 'pasta', testImage(), 'true'], { env: { PATH: bin } });
    expect(r.status).toBe(125);
    expect(r.stderr.trim()).toMatch(/install the "passt" package/);
  });
});

describe.skipIf(!pastaReady)('--network pasta (needs passt and a usable /dev/net/tun: test/run-e2e.sh arranges both as root)', () => {
  it("reaches out through pasta: DNS and HTTP to Debian's package mirror, as the host's apt does", () => {
    const out = box.sh('cat /etc/resolv.conf; wget -q -O- http://deb.debian.org/debian/dists/bookworm/Release | head -1', ['--network', 'pasta']);
    expect(out).toMatch(/^nameserver 169\.254\.1\.1$/m);
    expect(out).toMatch(/^Origin: Debian$/m);
    expect(processesWith('--config-net')).toEqual([]);
  });

  it('publishes a container port on the host with -p', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const hostPort = (probe.address() as net.AddressInfo).port;
    probe.close();
    const child = box.spawn(['run', '--network', 'pasta', '-p', `${hostPort}:8080`, testImage(), 'sh', '-c', 'echo served-by-container > /tmp/i; cd /tmp; echo ready; exec httpd -f -p 8080']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('ready'), 15_000, 'the container');
      let body = '';
      await waitFor(() => {
        const r = execFileSync('sh', ['-c', `wget -qO- http://127.0.0.1:${hostPort}/i 2>/dev/null || true`]).toString();
        body = r;
        return r.length > 0;
      }, 10_000, 'the published port');
      expect(body).toBe('served-by-container\n');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
    }
    await waitFor(() => processesWith('--config-net').length === 0, 5_000, 'pasta to stop');
  });

  it('a -p port already taken: one line, exit 125, nothing left running', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
    const hostPort = (taken.address() as net.AddressInfo).port;
    try {
      const r = box.run(['run', '--network', 'pasta', '-p', `${hostPort}:80`, testImage(), 'touch', '/tmp/ran']);
      expect(r.status).toBe(125);
      expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^minictl: -p .*already in use on the host/)]);
    } finally {
      taken.close();
    }
    expect(processesWith('--config-net')).toEqual([]);
  });
});
