import { expect } from 'vitest';

/** Runs fn, asserts it throws an instance of type, and returns that error for closer checks. */
export function expectThrown<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a ${type.name}`);
}
