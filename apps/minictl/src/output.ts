/** minictl's own lines on stderr, kept apart from the container's output. */
export function warn(line: string): void {
  process.stderr.write(`minictl: warning: ${line}\n`);
}

export function error(line: string): void {
  process.stderr.write(`minictl: ${line}\n`);
}

/** A one-line note that is not a problem (e.g. which id mapping was chosen and why). */
export function notice(line: string): void {
  process.stderr.write(`minictl: notice: ${line}\n`);
}

/** Progress lines for -v. */
export function trace(line: string): void {
  process.stderr.write(`minictl: ${line}\n`);
}

/** JSON for people and scripts; 64-bit values (seccomp arguments, limits) as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
