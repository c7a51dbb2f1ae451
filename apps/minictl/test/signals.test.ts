import { describe, expect, it } from 'vitest';
import { parseSignal } from '../src/lifecycle/signals';
import { UsageError } from '../src/run/parse';

describe('parseSignal', () => {
  it.each([
    ['TERM', 15], ['SIGTERM', 15], ['kill', 9], ['9', 9], ['HUP', 1],
    ['RTMIN', 34], ['SIGRTMIN+3', 37], ['RTMAX', 64], ['SIGRTMAX-1', 63], ['34', 34], ['64', 64],
  ])('%s is %d', (text, n) => expect(parseSignal(text)).toBe(n));

  it.each(['NOPE', '0', '65', 'RTMIN+40', 'RTMAX+1', '-1', ''])('refuses %j with one line', (text) => {
    expect(() => parseSignal(text)).toThrow(UsageError);
    expect(() => parseSignal(text)).toThrow(/unknown signal/);
  });
});
