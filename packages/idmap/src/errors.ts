/**
 * The one error type of this package. `step` names what was being done
 * ('parse', 'validate', 'grant', 'userns', 'newuidmap', 'write /proc/1/uid_map', ...)
 * so callers can report it; `errno` carries the system error code when there is one.
 */
export class IdMapError extends Error {
  readonly step: string;
  readonly errno?: string;

  constructor(step: string, message: string, errno?: string) {
    super(message);
    this.name = 'IdMapError';
    this.step = step;
    if (errno !== undefined) this.errno = errno;
  }
}
