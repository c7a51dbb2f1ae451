import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// build.js's helper, plain CommonJS beside it.
const { patchNode, RENAMED: NAMES } = createRequire(__filename)('../node-patches.js') as { patchNode: (node: Buffer) => Buffer; RENAMED: string[] };

/** A stand-in for node's executable: each name once as a C string among others. */
function fakeNode(names = NAMES): Buffer {
  return Buffer.from(['\x7fELF', 'other', ...names, 'more'].join('\0') + '\0', 'latin1');
}

/** How node's built-in snapshot stores a string: its 32-bit length, then its bytes. */
function v8String(name: string): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(name.length);
  return Buffer.concat([len, Buffer.from(`${name}\0`)]);
}

describe('patchNode', () => {
  it("renames each C string node looks for, by its last byte, and nothing else", () => {
    const node = fakeNode();
    const out = patchNode(node);
    expect(out.length).toBe(node.length);
    const text = out.toString('latin1');
    for (const name of NAMES) expect(text).toContain(`\0${name.slice(0, -1)}\x01\0`);
    expect([...out].filter((byte, i) => byte !== node[i])).toEqual(NAMES.map(() => 0x01));
    // the input is left as it was
    expect(node.includes(Buffer.from('\0NODE_OPTIONS\0'))).toBe(true);
  });

  it('leaves the same names alone where V8 keeps them, after their length', () => {
    const snapshot = v8String('NODE_OPTIONS');
    const out = patchNode(Buffer.concat([fakeNode(), snapshot]));
    expect(out.subarray(out.length - snapshot.length).equals(snapshot)).toBe(true);
  });

  it('refuses a node without one of the strings, or with two', () => {
    expect(() => patchNode(fakeNode(NAMES.filter((n) => n !== 'NODE_OPTIONS')))).toThrow(/no C strings "NODE_OPTIONS"/);
    expect(() => patchNode(fakeNode([...NAMES, '--env-file']))).toThrow(/2 C strings "--env-file"/);
  });
});
