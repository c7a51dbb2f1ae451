import { join } from 'node:path';

/** The in-process addon, file half: primitives resolved inside a root (fsops.h). Images are
 * unpacked by the minictl-unpack executable instead. */
export interface FsAddon {
  openRoot(path: string): number;
  close(fd: number): void;
  /** uid/gid (-1 or absent: keep the creator's) */
  mkfifo(root: number, rel: string, mode: number, uid?: number, gid?: number): void;
  /** a regular file's bytes (at most 4 MiB) */
  readFile(root: number, rel: string): Buffer;
  /** whether path carries the extended attribute name */
  hasXattr(path: string, name: string): boolean;
}

/** The in-process addon, process half (spawn.h): starting a process costs no fork of Node. */
export interface ProcAddon {
  /** The child's fd i is fds[i] (-1: /dev/null); throws an errno error when it cannot exec. */
  spawn(file: string, argv: string[], fds: number[], newSession: boolean, sealedCopy: boolean): number;
  /** Starts several in the background, their execs side by side; a handle for spawnJoin. */
  spawnStart(requests: [file: string, argv: string[], fds: number[], newSession?: boolean, sealedCopy?: boolean][]): SpawnBatch;
  /** Once each has exec'd: its pid, or the errno error of its exec. */
  spawnJoin(batch: SpawnBatch): (number | NodeJS.ErrnoException)[];
  /** Ends this process at once with status code, skipping Node's teardown. */
  exit(code: number): never;
  /** Blocks until pid exits (or, nohang, returns null while it runs). */
  wait(pid: number, nohang: boolean): ExitStatus | null;
  /** Two connected unix stream sockets, close-on-exec. */
  socketpair(): [number, number];
  /** [read end, write end], close-on-exec. */
  pipe(): [number, number];
  /** A pidfd: it names the process that had this pid when opened, even once the pid is reused. */
  pidfdOpen(pid: number): number;
  /** Send signal number signo through a pidfd (ESRCH once that process has exited). */
  pidfdSignal(pidfd: number, signo: number): void;
  /** Whether fd has input (or its end) within timeoutMs. */
  readable(fd: number, timeoutMs: number): boolean;
}

/** Processes being started by spawnStart. */
export type SpawnBatch = { readonly __brand: 'SpawnBatch' };

export interface ExitStatus {
  code: number | null;
  /** the number of the signal that killed it */
  signal: number | null;
}

let buildDir = join(__dirname, '..', 'build', 'Release');

/**
 * Where the built launcher and addon are. A bundled or snapshotted CLI, whose modules no
 * longer sit beside this package, says so at start-up.
 */
export function useNativeBuild(dir: string): void {
  buildDir = dir;
}

let addon: (FsAddon & ProcAddon) | undefined;
function load(): FsAddon & ProcAddon {
  if (!addon) {
    // process.dlopen, not require: a snapshot-started process has no module-local require,
    // and require's path resolution costs more than the dlopen itself.
    const module = { exports: {} as FsAddon & ProcAddon };
    process.dlopen(module, join(buildDir, 'minictl_native.node'));
    addon = module.exports;
  }
  return addon;
}

/** Loaded on first use (a snapshot cannot hold an addon). */
export function fsAddon(): FsAddon {
  return load();
}

export function procAddon(): ProcAddon {
  return load();
}

/**
 * Ends the process with status code once everything is written (stdout and stderr are
 * synchronous here: files, pipes and terminals on Linux). Where the addon is loaded already,
 * without Node's teardown, which joins its threads and frees its heap (~0.6 ms).
 */
export function exitNow(code: number): never {
  if (addon) addon.exit(code);
  process.exit(code);
}

/** The image unpacker executable (unpack/main.c). */
export function unpackerPath(): string {
  return join(buildDir, 'minictl-unpack');
}

/** The launcher executable (launcher/main.c). */
export function launcherPath(): string {
  return join(buildDir, 'minictl-launcher');
}
