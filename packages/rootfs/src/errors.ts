/** A failure to import or lay out an image; `step` names what was being done. */
export class ImageError extends Error {
  constructor(
    message: string,
    readonly step: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}
