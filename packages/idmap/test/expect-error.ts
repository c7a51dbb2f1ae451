import { expect } from 'vitest';
import { IdMapError } from '../src/errors';

/** Runs fn, asserts it throws an IdMapError, and returns it for closer checks. */
export function errorOf(fn: () => unknown): IdMapError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IdMapError);
    return err as IdMapError;
  }
  throw new Error('expected an IdMapError');
}
