import { closeSync, readSync } from 'node:fs';
import { constants } from 'node:os';
import { procAddon, type ExitStatus, type SpawnBatch } from './addon';

export interface Finished extends ExitStatus {
  stderr: string;
  /** set when the command could not be started (ENOENT, EACCES, ...) */
  error?: NodeJS.ErrnoException;
}

/** Commands started by startAll: finish() waits for them all. */
export interface Running {
  finish(): Finished[];
}

/**
 * Starts short commands side by side, for helpers on the container start path (newuidmap,
 * newgidmap), where child_process would fork all of Node for each one. They run on while the
 * caller works; finish() blocks until all have exited. Stdin and stdout are /dev/null;
 * stderr is collected.
 */
export function startAll(commands: { file: string; args: string[] }[]): Running {
  const proc = procAddon();
  const pipes = commands.map(() => proc.pipe());
  let batch: SpawnBatch;
  try {
    batch = proc.spawnStart(commands.map((c, i) => [c.file, [c.file, ...c.args], [-1, -1, pipes[i][1]]]));
  } finally {
    // spawnStart keeps copies until the children have them; ours must go for EOF to come
    for (const [, w] of pipes) closeSync(w);
  }
  return {
    finish: () =>
      proc.spawnJoin(batch).map((s, i) => {
        const stderr = readToEnd(pipes[i][0]);
        if (typeof s !== 'number') return { code: null, signal: null, stderr, error: s };
        return { ...proc.wait(s, false)!, stderr };
      }),
  };
}

function readToEnd(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(4096);
  try {
    for (let n; (n = readSync(fd, buf)) > 0; ) chunks.push(Buffer.from(buf.subarray(0, n)));
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** SIGTERM for 15: how a status of 128+N or a wait status's signal reads to a person. */
export function signalName(n: number): string {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}
