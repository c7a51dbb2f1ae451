import { constants } from 'node:os';
import { UsageError } from '../run/parse';

/** glibc's range of real-time signals (SIGRTMIN is 34, two are kept for its threads). */
const RTMIN = 34;
const RTMAX = 64;

/** A signal by name (TERM, SIGTERM, RTMIN+3, SIGRTMAX-1) or number, as kill(1) takes it. */
export function parseSignal(text: string): number {
  const upper = text.toUpperCase().replace(/^SIG/, '');
  const named = (constants.signals as Record<string, number>)[`SIG${upper}`];
  if (named !== undefined) return named;
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(upper);
  if (rt) {
    const n = (rt[1] === 'MIN' ? RTMIN : RTMAX) + (rt[2] === '-' ? -1 : 1) * Number(rt[3] ?? 0);
    if (n >= RTMIN && n <= RTMAX) return n;
  }
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= RTMAX) return Number(text);
  throw new UsageError(`unknown signal ${JSON.stringify(text)} (kill -l lists them)`);
}
