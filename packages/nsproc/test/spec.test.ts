import { describe, expect, it } from 'vitest';
import { SpecError } from '../src/errors';
import { validateSpec, type ContainerSpec, type NamespaceType } from '../src/spec';
import { makeSpec } from './spec-factory';
import { expectThrown } from '../../../test/support/expect-thrown';

const specError = (edit: (s: ContainerSpec) => void): SpecError => expectThrown(SpecError, () => validateSpec(makeSpec(edit)));

describe('validateSpec', () => {
  it('returns a valid spec unchanged', () => {
    const spec = makeSpec();
    const copy = structuredClone(spec);
    expect(validateSpec(spec)).toBe(spec);
    expect(spec).toEqual(copy);
  });

  describe('process.args', () => {
    it.each([
      ['empty', [] as string[]],
      ['an empty command', ['', 'x']],
    ])('refuses %s', (_what, args) => {
      const e = specError((s) => (s.process.args = args));
      expect(e.field).toBe('process.args');
      expect(e.message).toBe('process.args must name a command');
    });

    it('refuses a missing args array', () => {
      expect(specError((s) => (s.process.args = undefined as unknown as string[])).field).toBe('process.args');
    });
  });

  it('refuses a relative process.cwd', () => {
    const e = specError((s) => (s.process.cwd = 'work'));
    expect(e.field).toBe('process.cwd');
    expect(e.message).toBe('process.cwd must be absolute, got "work"');
  });

  describe('process.env', () => {
    it.each(['NOVALUE', '=value', 'A B=1', ''])('refuses %j', (entry) => {
      const e = specError((s) => s.process.env.push(entry));
      expect(e.field).toBe('process.env');
      expect(e.message).toBe(`process.env entry ${JSON.stringify(entry)} is not KEY=VALUE`);
    });

    it('accepts empty values and values containing = and spaces', () => {
      expect(() => validateSpec(makeSpec((s) => (s.process.env = ['EMPTY=', 'EQ=a=b', 'SP=a b'])))).not.toThrow();
    });
  });

  it('refuses a relative root.path', () => {
    const e = specError((s) => (s.root.path = 'rootfs'));
    expect(e.field).toBe('root.path');
    expect(e.message).toBe('root.path must be absolute');
  });

  describe('hostname', () => {
    it.each(['', '-box', 'box-', 'my_box', 'a b', 'box.', 'h'.repeat(65)])('refuses %j', (name) => {
      const e = specError((s) => (s.hostname = name));
      expect(e.field).toBe('hostname');
      expect(e.message).toBe(
        `hostname ${JSON.stringify(name)} is not a valid host name (letters, digits, '-' and '.', at most 64)`,
      );
    });

    it.each(['a', '0', 'build-42', 'ci.example.org', 'h'.repeat(64)])('accepts %j', (name) => {
      expect(() => validateSpec(makeSpec((s) => (s.hostname = name)))).not.toThrow();
    });
  });

  describe('mounts', () => {
    const bind = (destination: string, source = '/srv/data') => ({ destination, type: 'bind' as const, source, options: ['rbind', 'rw'] });

    it.each(['data', '/data/../etc', '/..'])('refuses the destination %j, naming the mount by index', (dest) => {
      const e = specError((s) => (s.mounts = [bind('/ok'), bind(dest)]));
      expect(e.field).toBe('mounts[1].destination');
      expect(e.message).toBe(`mounts[1].destination must be an absolute path without "..", got ${JSON.stringify(dest)}`);
    });

    it('refuses a relative source', () => {
      const e = specError((s) => (s.mounts = [bind('/data', 'srv/data')]));
      expect(e.field).toBe('mounts[0].source');
      expect(e.message).toBe('mounts[0].source must be absolute');
    });

    it.each(['/', '//', '/.'])('refuses the container root %j as a destination', (dest) => {
      const e = specError((s) => (s.mounts = [bind(dest)]));
      expect(e.field).toBe('mounts[0].destination');
      expect(e.message).toBe("mounts[0].destination cannot be the container's root");
    });

    it('refuses more bind mounts than the launcher has slots for', () => {
      const e = specError((s) => (s.mounts = Array.from({ length: 49 }, (_, i) => bind(`/m${i}`))));
      expect(e.field).toBe('mounts');
      expect(e.message).toBe('at most 48 bind mounts are supported, got 49');
      expect(() => validateSpec(makeSpec((s) => (s.mounts = Array.from({ length: 48 }, (_, i) => bind(`/m${i}`)))))).not.toThrow();
    });

    it('accepts absolute destinations containing dots in names', () => {
      expect(() => validateSpec(makeSpec((s) => (s.mounts = [bind('/data/..cache/x..')])))).not.toThrow();
    });
  });

  describe('linux.namespaces', () => {
    it('refuses an unknown namespace type', () => {
      const e = specError((s) => s.linux.namespaces.push({ type: 'time' as NamespaceType }));
      expect(e.field).toBe('linux.namespaces');
      expect(e.message).toBe('unknown namespace type "time"');
    });

    it.each(['user', 'mount', 'pid'] as const)('requires a %s namespace', (needed) => {
      const e = specError((s) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== needed)));
      expect(e.field).toBe('linux.namespaces');
      expect(e.message).toBe(`a rootless container needs a ${needed} namespace`);
    });

    it('accepts only user, mount and pid', () => {
      const spec = makeSpec((s) => (s.linux.namespaces = [{ type: 'pid' }, { type: 'user' }, { type: 'mount' }]));
      expect(() => validateSpec(spec)).not.toThrow();
    });
  });

  describe('id mappings', () => {
    it('refuses root.readonly that disagrees with the root mode', () => {
      const e = specError((s) => (s.root.readonly = !s.root.readonly));
      expect(e.field).toBe('root.readonly');
      expect(e.message).toBe('root.readonly must agree with minictl.rootMode');
    });

    it('refuses empty uidMappings', () => {
      const e = specError((s) => (s.linux.uidMappings = []));
      expect(e.field).toBe('linux.uidMappings');
      expect(e.message).toBe('linux.uidMappings must not be empty');
    });

    it('refuses empty gidMappings, naming linux.gidMappings', () => {
      const e = specError((s) => (s.linux.gidMappings = []));
      expect(e.message).toBe('linux.gidMappings must not be empty');
      expect(e.field).toBe('linux.gidMappings');
    });
  });
});
