import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePlan, Op, PLAN_MAGIC, type Step } from '../src/plan';

/** Little-endian helpers, so the expected bytes read like the wire format in launcher/plan.c. */
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return [...b];
};
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return [...b];
};
const str = (s: string) => [...Buffer.from(s, 'utf8')];

describe('encodePlan', () => {
  it('starts with the magic "MCP1" and the length of the body', () => {
    const buf = encodePlan([]);
    expect([...buf]).toEqual([0x4d, 0x43, 0x50, 0x31, ...u32(4), ...u32(0)]);
    expect(buf.subarray(0, 4).toString('latin1')).toBe('MCP1');
    expect(buf.readUInt32LE(0)).toBe(PLAN_MAGIC);
  });

  it('encodes count, then per step op, argc and each argument as length + bytes', () => {
    const steps: Step[] = [
      { op: Op.CHDIR, args: ['/'], what: 'change directory to /' },
      { op: Op.LOUP, args: [], what: 'bring up lo' },
      { op: Op.ARGV, args: ['sh', '-c', ''], what: 'execute sh' },
    ];
    const body = [
      ...u32(3),
      ...u16(12), ...u16(1), ...u32(1), ...str('/'),
      ...u16(11), ...u16(0),
      ...u16(13), ...u16(3), ...u32(2), ...str('sh'), ...u32(2), ...str('-c'), ...u32(0),
    ];
    expect(body).toHaveLength(37);
    expect([...encodePlan(steps)]).toEqual([...u32(PLAN_MAGIC), ...u32(37), ...body]);
  });

  it('writes UTF-8 arguments with their length in bytes, not characters', () => {
    const buf = encodePlan([{ op: Op.HOSTNAME, args: ['héllo-日本'], what: 'set hostname' }]);
    const bytes = Buffer.from('héllo-日本', 'utf8');
    expect(bytes.length).toBe(13);
    expect([...buf]).toEqual([...u32(PLAN_MAGIC), ...u32(4 + 4 + 4 + 13), ...u32(1), ...u16(10), ...u16(1), ...u32(13), ...bytes]);
  });

  it('refuses an argument containing a NUL byte, naming the step', () => {
    expect(() => encodePlan([{ op: Op.CHDIR, args: ['/tmp\0/etc'], what: 'change directory to /tmp' }])).toThrow(
      'plan step "change directory to /tmp": argument contains a NUL byte',
    );
  });

  it('refuses a NUL byte in any argument, not only the first', () => {
    expect(() => encodePlan([{ op: Op.ENV, args: ['A=1', 'B=\0'], what: 'environment' }])).toThrow(/NUL byte/);
  });
});

describe('plan vocabulary', () => {
  // launcher/plan.h is the other half of the protocol: the opcodes must agree exactly.
  const header = fs.readFileSync(path.join(__dirname, '..', 'launcher', 'plan.h'), 'utf8');

  it('has the same opcodes as launcher/plan.h', () => {
    const fromC: Record<string, number> = {};
    for (const m of header.matchAll(/^\s*OP_([A-Z]+)\s*=\s*(\d+),/gm)) fromC[m[1]] = Number(m[2]);
    expect(fromC).toEqual({ ...Op });
  });

  it('has the same magic as launcher/plan.h', () => {
    const m = /#define PLAN_MAGIC (0x[0-9a-fA-F]+)U/.exec(header);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(PLAN_MAGIC);
  });
});
