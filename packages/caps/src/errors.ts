/**
 * The one error type of this package. Callers (the CLI) print `message` as a
 * single line and may point at `input`, the exact text that was refused.
 */
export class CapsError extends Error {
  readonly input: string;

  constructor(message: string, input: string) {
    super(message);
    this.name = "CapsError";
    this.input = input;
  }
}
