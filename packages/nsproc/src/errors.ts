import { constants } from 'node:os';

/** A container that could not be started: which step failed, with which errno. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly step: string,
    readonly errno: string | undefined,
    /** 125 runtime failure, 126 command cannot be invoked, 127 command not found */
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

/** A spec that is not valid; `field` names the offending part ("process.cwd"). */
export class SpecError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'SpecError';
  }
}

const names = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

export function errnoName(n: number): string {
  return names.get(n) ?? `errno ${n}`;
}
