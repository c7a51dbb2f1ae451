import { compilePlan, launch, validateSpec, type ContainerRecord, type ContainerSpec } from '@minictl/nsproc';
import { resolveUser } from '@minictl/rootfs';
import { mergeEnv, parseEnvArg, UsageError } from '../run/parse';

export interface ExecOptions {
  tty?: boolean;
  interactive?: boolean;
  env: string[];
  workdir?: string;
  user?: string;
}

function granted(names: string[]) {
  return { permitted: names, effective: names, inheritable: [], ambient: [] };
}

/**
 * `minictl exec`: a new process in every namespace of a running container (the launcher
 * joins them, user namespace first), under the container's own capability, securebits,
 * no_new_privs and seccomp policy, in a working directory inside the container.
 */
export async function execCommand(r: ContainerRecord, command: string[], opts: ExecOptions): Promise<number> {
  const base = r.spec;
  const user = opts.user === undefined ? undefined : resolveUser(base.root.path, opts.user);
  const caps = base.process.capabilities;
  if (opts.workdir !== undefined && !opts.workdir.startsWith('/'))
    throw new UsageError(`--workdir must be an absolute path inside the container, got ${JSON.stringify(opts.workdir)}`);
  const spec: ContainerSpec = {
    ...base,
    process: {
      ...base.process,
      terminal: opts.tty === true,
      args: command,
      env: mergeEnv(
        base.process.env,
        opts.tty ? [`TERM=${process.env.TERM || 'xterm'}`] : [],
        opts.env.map((e) => parseEnvArg(e)).filter((e): e is string => e !== undefined),
      ),
      cwd: opts.workdir ?? base.process.cwd,
      user: user ? { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids } : base.process.user,
      // As for run: root gets the container's set (its bounding set), another user none.
      capabilities: caps && user ? { ...caps, ...granted(user.uid === 0 ? (caps.bounding ?? []) : []) } : caps,
    },
    mounts: [],
    minictl: { ...base.minictl, join: r.pid, init: true, keepRoot: true, detached: undefined, startGate: undefined, actions: undefined },
  };
  validateSpec(spec);
  return launch(spec, compilePlan(spec, {}), {}, opts.interactive || opts.tty ? 'inherit' : 'ignore');
}
