/** A failure to import or lay out an image; `step` names what was being done. */
export class ImageError extends Error {
  constructor(
    message: string,
    readonly step: string,
    readonly errno?: string,
    /** minictl's exit status when not 125: 128+N when the unpacker was killed by signal N */
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Whether `e` is a Node error with one of these codes. */
export function isCode(e: unknown, ...codes: string[]): boolean {
  return codes.includes((e as NodeJS.ErrnoException)?.code ?? '');
}
