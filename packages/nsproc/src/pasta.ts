import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASTA_DNS } from './spec';

export interface Publish {
  host: number;
  container: number;
  proto: 'tcp' | 'udp';
}

/** Where pasta is on PATH, if anywhere. */
export function findPasta(pathEnv = process.env.PATH ?? ''): string | undefined {
  return pathEnv.split(':').map((d) => join(d, 'pasta')).find((p) => existsSync(p));
}

/** pasta's path, or why user-mode networking cannot work here, with the remedy. */
export function pastaStatus(pathEnv = process.env.PATH ?? '', tun = '/dev/net/tun'): { path: string } | { reason: string } {
  const found = findPasta(pathEnv);
  if (!found) return { reason: 'pasta not found: install the "passt" package (apt-get install passt)' };
  try {
    accessSync(tun, constants.R_OK | constants.W_OK);
  } catch {
    return { reason: `${tun} is not usable by you: make it mode 0666 ("sudo chmod 0666 ${tun}"), as most distributions do` };
  }
  return { path: found };
}

/**
 * Connect the network namespace of pid to the host through pasta: outbound traffic, and the
 * published ports forwarded in. pasta outlives the container by itself: resolves with its pid,
 * which the launcher stops when the container ends (even if minictl itself is killed).
 */
export async function startPasta(pasta: string, pid: number, publish: readonly Publish[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'minictl-pasta-'));
  const pidFile = join(dir, 'pid');
  const ports = (proto: 'tcp' | 'udp') => {
    const list = publish.filter((p) => p.proto === proto).map((p) => `${p.host}:${p.container}`);
    return list.length ? list.join(',') : 'none';
  };
  const args = [
    '--config-net', '--quiet', '--pid', pidFile, '--dns-forward', PASTA_DNS,
    // Nothing from the container reaches the host's own loopback services.
    '-t', ports('tcp'), '-u', ports('udp'), '-T', 'none', '-U', 'none', '--no-map-gw',
    String(pid),
  ];
  try {
    await new Promise<void>((resolve, reject) =>
      // pasta forks into the background once the namespace is configured.
      execFile(pasta, args, { encoding: 'utf8' }, (err, _out, stderr) => {
        if (!err) return resolve();
        const line = stderr.split('\n').map((l) => l.trim()).find((l) => l && !/syslog/.test(l)) ?? String(err.message);
        reject(Object.assign(new Error(`pasta: ${line}`), { step: 'start pasta' }));
      }),
    );
    return Number(readFileSync(pidFile, 'utf8').trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
