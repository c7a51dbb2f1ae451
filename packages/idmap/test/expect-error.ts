import { IdMapError } from '../src/errors';
import { expectThrown } from '../../../test/support/expect-thrown';

export const errorOf = (fn: () => unknown): IdMapError => expectThrown(IdMapError, fn);
