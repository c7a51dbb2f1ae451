import { compilePlan, launch, validateSpec, type ContainerSpec, type CredAction, type NamespaceType } from '@minictl/nsproc';
import { isatty } from 'node:tty';
import { parseIdMap } from '@minictl/idmap';
import { resolveIdentity } from '../identity/resolve';
import { notice, trace, warn } from '../output';
import { UsageError } from '../run/parse';
import { isHostRoot } from '../identity/host-root';
import { inPlaceSpec } from '../identity/in-place';

export interface UnshareOptions {
  namespaces: NamespaceType[];
  actions: CredAction[];
  userns?: string;
  uidmap?: string;
  gidmap?: string;
  setgroups?: string;
  M: string[];
  G: string[];
  P?: string;
  r?: boolean;
  D?: boolean;
  v?: boolean;
}

/** Build the spec of `minictl unshare` and run it; resolves with the command's status. */
export async function unshareCommand(command: string[], opts: UnshareOptions): Promise<number> {
  if (isHostRoot()) throw new UsageError('refusing to run as root: root inside would be host root; run minictl as an ordinary user');
  const spec = validateSpec(unshareSpec(command, opts));
  const verbose = opts.v === true;
  if (verbose) trace(`namespaces: ${spec.linux.namespaces.map((n) => n.type).join(', ')}; command: ${spec.process.args.join(' ')}`);
  return launch(spec, compilePlan(spec, {}), {
    warn: (step, errno) => warn(`${step.what} failed (${errno}); used the fallback`),
    trace: verbose ? trace : undefined,
  });
}

export function unshareSpec(command: string[], opts: UnshareOptions): ContainerSpec {
  if (opts.M.length > 1 || opts.G.length > 1) throw new UsageError('-M and -G may each be given once (separate records with commas)');
  if (opts.r && (opts.M.length || opts.G.length || opts.uidmap || opts.gidmap))
    throw new UsageError('-r maps only root: it cannot be combined with -M, -G, --uidmap or --gidmap');
  const identity = resolveIdentity({
    userns: opts.r ? 'root' : opts.userns,
    uidmap: opts.uidmap ?? opts.M[0],
    gidmap: opts.gidmap ?? opts.G[0],
    setgroups: opts.D ? 'allow' : opts.setgroups,
  });
  if (identity.notice) notice(identity.notice);
  // With no namespace named, the fakeroot default: a user and a mount namespace.
  const types: NamespaceType[] = opts.namespaces.length ? opts.namespaces : ['mount'];
  const args = command.length > 0 ? command : [process.env.SHELL || '/bin/sh'];
  const spec = inPlaceSpec({
    args,
    env: Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`),
    cwd: process.cwd(),
    namespaces: types,
    identity,
    terminal: isatty(0) && isatty(1),
    noNewPrivileges: false,
  });
  spec.minictl.projidMappings =
    opts.P === undefined ? undefined : parseIdMap(opts.P, 'uid').map((r) => ({ containerID: r.inside, hostID: r.outside, size: r.length }));
  spec.minictl.actions = opts.actions;
  return spec;
}
