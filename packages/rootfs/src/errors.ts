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
