import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@minictl/nsproc';
import { hostPlumbing, plumbingNeeds } from '../src/run/plumbing';

/** The parts of a spec that plumbing reads. */
const spec = (resources: ContainerSpec['linux']['resources'], network: ContainerSpec['minictl']['network']) =>
  ({ linux: { resources }, minictl: { network } }) as unknown as ContainerSpec;

describe('plumbingNeeds', () => {
  it('asks for the cgroup controllers of the limits given, and pasta for its network', () => {
    expect(plumbingNeeds(spec(undefined, 'none'))).toEqual({ controllers: [], pasta: false });
    expect(plumbingNeeds(spec({ memory: { limit: 1 << 20 } }, 'none'))).toEqual({ controllers: ['memory'], pasta: false });
    expect(plumbingNeeds(spec({ pids: { limit: 10 } }, 'pasta'))).toEqual({ controllers: ['pids'], pasta: true });
    expect(plumbingNeeds(spec({ memory: { limit: 1 }, pids: { limit: 1 } }, 'host')).controllers).toEqual(['memory', 'pids']);
  });
});

describe('hostPlumbing', () => {
  it('for a spec that needs none, does nothing and loads nothing', async () => {
    // the other commands' bundle does not exist here: loading it would throw
    const p = hostPlumbing(spec(undefined, 'none'), 'id');
    expect(await p.beforeStart(1)).toEqual([]);
    expect(p.cgroupDir()).toBeUndefined();
    p.stop();
  });
});
