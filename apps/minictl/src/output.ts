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
