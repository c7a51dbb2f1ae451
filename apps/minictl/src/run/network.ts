import { PASTA_DNS } from '@minictl/nsproc';
import { UsageError } from './parse';

export type NetworkMode = 'none' | 'host' | 'pasta';

const MODES: readonly NetworkMode[] = ['none', 'host', 'pasta'];

export function parseNetwork(text: string | undefined): NetworkMode {
  const mode = (text ?? 'none') as NetworkMode;
  if (!MODES.includes(mode)) throw new UsageError(`--network takes none, host or pasta; got ${JSON.stringify(text)}`);
  return mode;
}

/**
 * /etc/hosts, /etc/hostname and /etc/resolv.conf for the container, bound over the image's own
 * (as podman does). DNS: none has no resolver; host uses the host's; pasta forwards queries
 * sent to its own address to the host's resolver, so loopback resolvers (systemd-resolved)
 * work too.
 */
export function etcFiles(mode: NetworkMode, hostname: string, hostResolv: string): Record<string, string> {
  const keep = hostResolv.split('\n').filter((l) => /^\s*(search|domain|options)\b/.test(l));
  const resolv =
    mode === 'none'
      ? '# no network (minictl run --network none)\n'
      : mode === 'host'
        ? hostResolv
        : [...keep, `nameserver ${PASTA_DNS}`, ''].join('\n');
  return {
    hostname: `${hostname}\n`,
    hosts: `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`,
    'resolv.conf': resolv,
  };
}
