/** minictl's own lines on stderr, kept apart from the container's output. */
export function warn(line: string): void {
  process.stderr.write(`minictl: warning: ${line}\n`);
}

export function error(line: string): void {
  process.stderr.write(`minictl: ${line}\n`);
}
