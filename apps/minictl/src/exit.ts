import { exitNow } from '@minictl/native';

/**
 * How the CLI ends once its command has finished. Not with process.exit: stdout and stderr
 * are asynchronous when they are pipes, and what the reader has not taken yet (beyond the
 * pipe's 64 KiB) would be lost. So wait until the streams that were used have written
 * everything, then exit without Node's teardown (exitNow). Streams never used are not
 * touched: creating one costs a millisecond or more.
 */
const used = new Set<NodeJS.WriteStream>();

/** Notes which of process.stdout and process.stderr this process creates (Node makes them on first use). */
export function trackStdio(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const own = Object.getOwnPropertyDescriptor(process, name);
    if (!own?.get || !own.configurable) continue;
    const create = own.get;
    Object.defineProperty(process, name, {
      ...own,
      get() {
        const stream = create.call(process) as NodeJS.WriteStream;
        used.add(stream);
        return stream;
      },
    });
  }
}

export async function exitWhenWritten(): Promise<never> {
  await Promise.all(
    [...used]
      .filter((s) => s.writableLength > 0)
      .map((s) => new Promise((written) => ['drain', 'error', 'close'].forEach((e) => s.once(e, written)))),
  );
  exitNow(typeof process.exitCode === 'number' ? process.exitCode : 0);
}
