import { Op, type Step } from '@minictl/native';
import { describe, expect, it } from 'vitest';
import { actionSteps } from '../src/actions';
import { credentialSteps } from '../src/credentials';
import { makeSpec } from './spec-factory';

const caps = (names: string[], extra: Partial<Record<'inheritable' | 'ambient', string[]>> = {}) => ({
  bounding: names,
  permitted: names,
  effective: names,
  inheritable: extra.inheritable ?? [],
  ambient: extra.ambient ?? [],
});
const ops = (steps: Step[]) => steps.map((s) => s.op);

describe('credentialSteps', () => {
  it('orders bounding set, securebits, ids, capability sets, ambient set, no_new_privs', () => {
    const steps = credentialSteps(
      makeSpec((s) => {
        s.process.capabilities = caps(['CAP_CHOWN', 'CAP_KILL']);
        s.minictl.securebits = 3;
      }),
    );
    expect(ops(steps)).toEqual([Op.BSET, Op.SECUREBITS, Op.SETRESGID, Op.SETRESUID, Op.CAPSET, Op.AMBIENT, Op.NNP]);
    expect(steps[0].args).toEqual(['21']); // cap_chown (0) and cap_kill (5)
    expect(steps[1].args).toEqual(['3']);
    expect(steps[4].args).toEqual(['21', '21', '0']);
    expect(steps[5].args).toEqual(['0']);
  });

  it('sets ids only, without capabilities in the spec, and no no_new_privs when off', () => {
    const steps = credentialSteps(makeSpec((s) => (s.process.noNewPrivileges = false)));
    expect(ops(steps)).toEqual([Op.SETRESGID, Op.SETRESUID]);
    expect(steps.map((s) => s.args)).toEqual([['0', '0', '0'], ['0', '0', '0']]);
  });

  it('keeps capabilities across a change to a non-root uid with KEEP_CAPS', () => {
    const steps = credentialSteps(
      makeSpec((s) => {
        s.process.user = { uid: 1000, gid: 1000 };
        s.process.capabilities = caps(['CAP_NET_BIND_SERVICE'], { inheritable: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'] });
      }),
    );
    const bits = steps.find((s) => s.op === Op.SECUREBITS)!;
    expect(bits.args).toEqual(['16']);
    expect(ops(steps).indexOf(Op.SECUREBITS)).toBeLessThan(ops(steps).indexOf(Op.SETRESUID));
  });

  it('does not add KEEP_CAPS for a non-root user with no capabilities', () => {
    const steps = credentialSteps(
      makeSpec((s) => {
        s.process.user = { uid: 1000, gid: 1000 };
        s.process.capabilities = { ...caps([]), bounding: ['CAP_CHOWN'] };
      }),
    );
    expect(ops(steps)).not.toContain(Op.SECUREBITS);
  });

  it('sets supplementary groups (an empty list drops the host ones) only where setgroups is allowed', () => {
    const allowed = credentialSteps(
      makeSpec((s) => {
        s.minictl.setgroups = 'allow';
        s.process.user = { uid: 1000, gid: 1000, additionalGids: [27, 100] };
      }),
    );
    expect(allowed.find((s) => s.op === Op.SETGROUPS)?.args).toEqual(['27', '100']);
    const empty = credentialSteps(makeSpec((s) => (s.minictl.setgroups = 'allow')));
    expect(empty.find((s) => s.op === Op.SETGROUPS)?.args).toEqual([]);
    expect(ops(credentialSteps(makeSpec()))).not.toContain(Op.SETGROUPS);
  });
});

describe('actionSteps', () => {
  it('turns each action into one launcher step, in order', () => {
    const steps = actionSteps([
      { kind: 'capedit', set: 'b', op: '-', mask: 1n << 21n, text: 'b-cap_sys_admin' },
      { kind: 'show' },
      { kind: 'setresuid', ids: [1000, 1000, 0] },
      { kind: 'securebits', bits: 0x11 },
      { kind: 'capset', permitted: 3n, effective: 1n, inheritable: 0n, text: 'cap_chown+ep cap_dac_override+p' },
      { kind: 'sleep', seconds: 0.5 },
    ]);
    expect(ops(steps)).toEqual([Op.CAPEDIT, Op.SHOWCREDS, Op.SETRESUID, Op.SECUREBITS, Op.CAPSET, Op.SLEEP]);
    expect(steps[0].args).toEqual(['b', '-', '200000']);
    expect(steps[1].args[0]).toBe('cap_chown');
    expect(steps[2].args).toEqual(['1000', '1000', '0']);
    expect(steps[3].args).toEqual(['17']);
    expect(steps[4].args).toEqual(['3', '1', '0']);
    expect(steps[5].args).toEqual(['0.5']);
  });
});
