/**
 * The one error type of this package. Its message is a single line that names
 * the profile (`source`, usually the file path) and what was refused, so the
 * CLI can print it as it is.
 */
export class SeccompError extends Error {
  readonly source: string | undefined;

  constructor(message: string, source?: string) {
    super(message);
    this.name = "SeccompError";
    this.source = source;
  }
}
