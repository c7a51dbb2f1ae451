import { constants } from 'node:os';
import { UsageError } from '../run/parse';

/** A signal by name (TERM, SIGTERM) or number, as kill(1) takes it. */
export function parseSignal(text: string): NodeJS.Signals {
  const upper = text.toUpperCase();
  const byName = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals;
  if (byName in constants.signals) return byName;
  const byNumber = Object.entries(constants.signals).find(([, n]) => String(n) === text)?.[0];
  if (byNumber) return byNumber as NodeJS.Signals;
  throw new UsageError(`unknown signal ${JSON.stringify(text)} (kill -l lists them)`);
}
