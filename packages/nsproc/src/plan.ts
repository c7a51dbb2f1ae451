import { statSync } from 'node:fs';
import { CLONE, Op, RLIMIT, type Step } from '@minictl/native';
import { mountSteps, PRIVATE_ROOT as privateRoot, type Volume } from '@minictl/rootfs';
import { actionSteps } from './actions';
import { credentialSteps } from './credentials';
import type { ContainerSpec, NamespaceType } from './spec';

const CLONE_FLAG: Record<NamespaceType, number> = {
  user: CLONE.NEWUSER,
  mount: CLONE.NEWNS,
  pid: CLONE.NEWPID,
  uts: CLONE.NEWUTS,
  ipc: CLONE.NEWIPC,
  network: CLONE.NEWNET,
  cgroup: CLONE.NEWCGROUP,
};

export interface PlanContext {
  /** the store's empty scratch directory (see @minictl/rootfs Store.mnt); unused with keepRoot */
  scratch?: string;
  /** whether each bind source is a directory; read from the host by default */
  isDirectory?: (p: string) => boolean;
}

/** The namespaces clone creates: those asked for without a path to join. */
export function cloneFlags(spec: { linux: Pick<ContainerSpec['linux'], 'namespaces'> }): number {
  return spec.linux.namespaces.filter((n) => n.path === undefined).reduce((f, n) => f | CLONE_FLAG[n.type], 0);
}

/** What the launcher must know before it clones: the part of a spec its prelude comes from. */
export interface PreludeSpec {
  linux: Pick<ContainerSpec['linux'], 'namespaces'>;
  process: Pick<ContainerSpec['process'], 'terminal'>;
  minictl: Pick<ContainerSpec['minictl'], 'init' | 'join' | 'detached'>;
}

/**
 * The steps a plan begins with, which the launcher also gets on their own, first, as the
 * prelude (launcher/main.c): it makes the namespaces from them while the rest is worked out.
 */
export function preludeSteps(spec: PreludeSpec): Step[] {
  return [
    {
      op: Op.CONFIG,
      args: [
        String(spec.minictl.join ? 0 : cloneFlags(spec) >>> 0),
        spec.minictl.init ? '1' : '0',
        spec.process.terminal ? '1' : '0',
        ...(spec.minictl.detached ? [spec.minictl.detached.exitFile] : []),
      ],
      what: 'configure the launcher',
    },
    ...spec.linux.namespaces
      .filter((n) => n.path !== undefined)
      .map((n) => ({ op: Op.SETNS, args: [n.path!, String(CLONE_FLAG[n.type] >>> 0)], what: `join the ${n.type} namespace ${n.path}` })),
  ];
}

/** Compile a validated spec into the launcher's ordered list of primitive steps. */
export function compilePlan(spec: ContainerSpec, ctx: PlanContext): Step[] {
  const isDir = ctx.isDirectory ?? ((p: string) => statSync(p).isDirectory());
  // created here, as opposed to joined by path
  const has = (t: NamespaceType) => spec.linux.namespaces.some((n) => n.type === t && n.path === undefined);
  const joined = (t: NamespaceType) => spec.linux.namespaces.some((n) => n.type === t && n.path !== undefined);
  const volumes: Volume[] = spec.mounts.filter((m) => m.type === 'bind').map((m) => ({
    source: m.source,
    target: m.destination,
    readonly: m.options.includes('ro'),
    directory: isDir(m.source),
  }));
  const p = spec.process;
  return [
    ...preludeSteps(spec),
    ...(spec.minictl.join ? [{ op: Op.JOIN, args: [String(spec.minictl.join)], what: `enter the namespaces of process ${spec.minictl.join}` }] : []),
    ...(spec.minictl.startGate ? [{ op: Op.STARTGATE, args: [spec.minictl.startGate], what: 'open the start fifo' }] : []),
    ...(spec.minictl.consoleSocket ? [{ op: Op.CONSOLE, args: [spec.minictl.consoleSocket], what: 'the console socket' }] : []),
    // A joined mount namespace comes with its root and mounts: nothing to build.
    ...(spec.minictl.join || joined('mount')
      ? []
      : spec.minictl.keepRoot
      ? has('mount')
        ? [privateRoot]
        : []
      : mountSteps({
          lower: spec.root.path,
          scratch: required(ctx.scratch, 'a scratch directory'),
          mode: spec.minictl.rootMode,
          volumes,
          newNetns: has('network'),
          newIpcns: has('ipc'),
          tmpfs: spec.mounts.filter((m) => m.type === 'tmpfs').map((m) => ({ target: m.destination, options: tmpfsData(m.options) })),
          etc: spec.minictl.etc,
          maskedPaths: spec.linux.maskedPaths,
          readonlyPaths: spec.linux.readonlyPaths,
        })),
    ...(has('uts') && spec.hostname !== undefined && !spec.minictl.join
      ? [{ op: Op.HOSTNAME, args: [spec.hostname], what: `set hostname ${spec.hostname}` }]
      : []),
    ...(has('network') && !spec.minictl.join ? [{ op: Op.LOUP, args: [], what: 'bring up lo' }] : []),
    ...(p.rlimits ?? []).map((r) => ({
      op: Op.RLIMIT,
      args: [String(RLIMIT[r.type]), String(r.soft), String(r.hard)],
      what: `set ${r.type} to ${r.soft}:${r.hard}`,
    })),
    // Docker and runc make a missing working directory; a read-only root or an existing
    // container (exec) keeps what it has.
    ...(spec.minictl.rootMode !== 'readonly' && !spec.minictl.join && !spec.minictl.keepRoot && !joined('mount')
      ? [{ op: Op.MKDIR, args: [p.cwd, '755'], what: `mkdir ${p.cwd}` }]
      : []),
    { op: Op.CHDIR, args: [p.cwd], what: `change directory to ${p.cwd}` },
    ...credentialSteps(spec),
    ...actionSteps(spec.minictl.actions ?? []),
    { op: Op.ENV, args: p.env, what: 'environment' },
    { op: Op.ARGV, args: p.args, what: `execute ${p.args[0]}` },
  ];
}

/** OCI tmpfs options: flags minictl always sets are dropped, the rest is tmpfs data. */
function tmpfsData(options: string[]): string {
  const flags = new Set(['nosuid', 'nodev', 'rw', 'bind', 'rbind']);
  return options.filter((o) => !flags.has(o)).join(',');
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`compilePlan: ${what} is needed to make a new root`);
  return v;
}
