import { MOUNT_ATTR, MS, Op, type Step } from '@minictl/native';
import { describe, expect, it } from 'vitest';
import { DEV_NODES, mountSteps, type MountPlanInput, type RootMode, type Volume } from '../src/mounts';

const LOWER = '/data/images/abc/rootfs';
const SCRATCH = '/data/mnt';
const NEW_ROOT = `${SCRATCH}/root`;
const ROOT_SLOT = '63';

const dirVolume: Volume = { source: '/home/u/src', target: '/src', readonly: false, directory: true };
const roVolume: Volume = { source: '/home/u/ref', target: '/opt/ref', readonly: true, directory: true };
const fileVolume: Volume = { source: '/home/u/.bashrc', target: '/root/.bashrc', readonly: false, directory: false };

function plan(mode: RootMode, over: Partial<MountPlanInput> = {}): Step[] {
  return mountSteps({ lower: LOWER, scratch: SCRATCH, mode, volumes: [], newNetns: false, ...over });
}

const pivotIndex = (steps: Step[]) => {
  const pivots = steps.flatMap((s, i) => (s.op === Op.PIVOT ? [i] : []));
  expect(pivots).toHaveLength(1);
  return pivots[0];
};
const fills = (s: Step) => s.op === Op.FSMOUNT || s.op === Op.CLONE;

/** Every combination the invariants must hold for. */
const cases = (['overlay', 'bind', 'readonly'] as const).flatMap((mode) =>
  [false, true].flatMap((newNetns) =>
    [[], [dirVolume, roVolume, fileVolume]].map((volumes) => ({
      name: `${mode}, ${newNetns ? 'new' : 'host'} netns, ${volumes.length} volumes`,
      input: { lower: LOWER, scratch: SCRATCH, mode, volumes, newNetns } as MountPlanInput,
    })),
  ),
);

describe.each(cases)('mountSteps ($name)', ({ input }) => {
  const steps = mountSteps(input);
  const pivot = pivotIndex(steps);

  it('first makes / recursively private', () => {
    expect(steps[0]).toMatchObject({ op: Op.MOUNT, args: ['', '/', '', String(MS.REC | MS.PRIVATE), ''] });
  });

  it('mounts the scratch tmpfs before any step that uses the scratch directory', () => {
    const tmpfs = steps.findIndex((s) => s.op === Op.MOUNT && s.args[1] === SCRATCH);
    expect(tmpfs).toBe(1);
    expect(steps[tmpfs].args).toEqual(['tmpfs', SCRATCH, 'tmpfs', String(MS.NOSUID | MS.NODEV), 'mode=0755']);
    const users = steps.flatMap((s, i) => (s.args.some((a) => a.startsWith(`${SCRATCH}/`)) ? [i] : []));
    expect(users.length).toBeGreaterThan(0);
    for (const i of users) expect(i).toBeGreaterThan(tmpfs);
  });

  it('pivots into <scratch>/root', () => {
    expect(steps[pivot].args).toEqual([NEW_ROOT]);
  });

  it('makes proc before pivot_root', () => {
    const proc = steps.findIndex((s) => s.op === Op.FSMOUNT && s.args[1] === 'proc');
    expect(steps[proc].args).toEqual(['0', 'proc', String(MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC), '/proc']);
    expect(proc).toBeLessThan(pivot);
  });

  it('makes sysfs fresh with a new netns, else a read-only copy of /sys, before pivot_root', () => {
    const sysfs = steps.findIndex((s) => fills(s) && s.args[0] === '1');
    const attrs = String(MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC | MOUNT_ATTR.RDONLY);
    expect(steps[sysfs]).toMatchObject(
      input.newNetns
        ? { op: Op.FSMOUNT, args: ['1', 'sysfs', attrs, '/sys'] }
        : { op: Op.CLONE, args: ['1', '/sys', '1', attrs] },
    );
    expect(sysfs).toBeLessThan(pivot);
  });

  it('clones every host tree before pivot_root', () => {
    const clones = steps.flatMap((s, i) => (s.op === Op.CLONE ? [i] : []));
    expect(clones.length).toBeGreaterThanOrEqual(DEV_NODES.length + input.volumes.length);
    for (const i of clones) expect(i).toBeLessThan(pivot);
  });

  it('attaches the root (slot 63) before pivot_root and every other slot after it', () => {
    steps.forEach((s, i) => {
      if (s.op !== Op.ATTACH) return;
      if (s.args[0] === ROOT_SLOT) {
        expect(i).toBeLessThan(pivot);
        expect(s.args[1]).toBe(NEW_ROOT);
      } else {
        expect(i).toBeGreaterThan(pivot);
      }
    });
  });

  it('fills each slot once, before it is attached, and attaches each filled slot exactly once', () => {
    const filled = new Set<string>();
    const attached: string[] = [];
    for (const s of steps) {
      if (fills(s)) {
        expect(filled.has(s.args[0])).toBe(false);
        filled.add(s.args[0]);
      }
      if (s.op === Op.ATTACH) {
        expect(filled.has(s.args[0])).toBe(true);
        attached.push(s.args[0]);
      }
    }
    expect([...attached].sort()).toEqual([...filled].sort());
    for (const slot of filled) expect(Number(slot)).toBeLessThan(64); // MAX_SLOTS in launcher/plan.h
  });

  it('binds the six host device nodes into a fresh /dev tmpfs', () => {
    expect(DEV_NODES).toEqual(['null', 'zero', 'full', 'random', 'urandom', 'tty']);
    const devTmpfs = steps.findIndex((s) => s.op === Op.MOUNT && s.args[1] === '/dev');
    expect(steps[devTmpfs].args).toEqual(['tmpfs', '/dev', 'tmpfs', String(MS.NOSUID), 'mode=0755,size=65536k']);
    expect(devTmpfs).toBeGreaterThan(pivot);
    DEV_NODES.forEach((n, i) => {
      const slot = String(2 + i);
      const clone = steps.findIndex((s) => s.op === Op.CLONE && s.args[0] === slot);
      expect(steps[clone].args).toEqual([slot, `/dev/${n}`, '0', '0']);
      const mkfile = steps.findIndex((s) => s.op === Op.MKFILE && s.args[0] === `/dev/${n}`);
      const attach = steps.findIndex((s) => s.op === Op.ATTACH && s.args[0] === slot);
      expect(steps[attach].args).toEqual([slot, `/dev/${n}`]);
      expect(devTmpfs).toBeLessThan(mkfile);
      expect(mkfile).toBeLessThan(attach);
    });
  });

  it('mounts a new devpts instance without gid=5, and ptmx pointing into it', () => {
    const devpts = steps.find((s) => s.op === Op.MOUNT && s.args[2] === 'devpts');
    expect(devpts?.args).toEqual(['devpts', '/dev/pts', 'devpts', String(MS.NOSUID | MS.NOEXEC), 'newinstance,ptmxmode=0666,mode=0620']);
    expect(steps.some((s) => s.args.some((a) => a.includes('gid=5')))).toBe(false);
    expect(steps).toContainEqual(expect.objectContaining({ op: Op.SYMLINK, args: ['pts/ptmx', '/dev/ptmx'] }));
  });
});

describe('mountSteps root modes', () => {
  it('overlay: upper and work dirs on the scratch tmpfs, then one overlay with userxattr as separate key/value args', () => {
    const steps = plan('overlay');
    expect(steps.slice(3, 7)).toEqual([
      { op: Op.MKDIR, args: [`${SCRATCH}/upper`, '755'], what: `mkdir ${SCRATCH}/upper` },
      { op: Op.MKDIR, args: [`${SCRATCH}/work`, '755'], what: `mkdir ${SCRATCH}/work` },
      {
        op: Op.FSMOUNT,
        args: [ROOT_SLOT, 'overlay', '0', '', 'lowerdir', LOWER, 'upperdir', `${SCRATCH}/upper`, 'workdir', `${SCRATCH}/work`, 'userxattr', ''],
        what: 'mount overlay (image as the read-only lower layer)',
      },
      { op: Op.ATTACH, args: [ROOT_SLOT, NEW_ROOT], what: `attach overlay on ${NEW_ROOT}` },
    ]);
    expect(steps[2]).toEqual({ op: Op.MKDIR, args: [NEW_ROOT, '755'], what: `mkdir ${NEW_ROOT}` });
  });

  it('overlay: a lower path with commas stays one argument', () => {
    const lower = '/data/a,b:c/rootfs';
    const overlay = mountSteps({ lower, scratch: SCRATCH, mode: 'overlay', volumes: [], newNetns: false }).find(
      (s) => s.op === Op.FSMOUNT && s.args[1] === 'overlay',
    );
    expect(overlay?.args.slice(4, 6)).toEqual(['lowerdir', lower]);
  });

  it('bind: the image cloned recursively and writable, no overlay', () => {
    const steps = plan('bind');
    expect(steps.find((s) => s.op === Op.CLONE && s.args[0] === ROOT_SLOT)?.args).toEqual([ROOT_SLOT, LOWER, '1', '0']);
    expect(steps.some((s) => s.args[1] === 'overlay')).toBe(false);
  });

  it('readonly: the image cloned recursively with MOUNT_ATTR.RDONLY', () => {
    const steps = plan('readonly');
    expect(steps.find((s) => s.op === Op.CLONE && s.args[0] === ROOT_SLOT)?.args).toEqual([
      ROOT_SLOT,
      LOWER,
      '1',
      String(MOUNT_ATTR.RDONLY),
    ]);
    expect(steps.some((s) => s.args[1] === 'overlay')).toBe(false);
  });

  it('readonly: creates no mount points in the read-only root after pivot_root (only inside the /dev tmpfs)', () => {
    const steps = plan('readonly', { volumes: [dirVolume, fileVolume] });
    const pivot = pivotIndex(steps);
    const created = steps
      .slice(pivot + 1)
      .filter((s) => s.op === Op.MKDIR || s.op === Op.MKFILE)
      .map((s) => s.args[0])
      .filter((p) => !p.startsWith('/dev/'));
    expect(created).toEqual([]);
  });

  it.each(['overlay', 'bind'] as const)('%s: creates the mount points of /proc, /dev, /tmp, /sys and volumes', (mode) => {
    const steps = plan(mode, { volumes: [dirVolume, fileVolume] });
    const pivot = pivotIndex(steps);
    const created = steps
      .slice(pivot + 1)
      .filter((s) => (s.op === Op.MKDIR || s.op === Op.MKFILE) && !s.args[0].startsWith('/dev/'))
      .map((s) => `${s.op === Op.MKDIR ? 'dir' : 'file'} ${s.args[0]}`);
    expect(created).toEqual(['dir /proc', 'dir /dev', 'dir /tmp', 'dir /sys', 'dir /src', 'dir /root', 'file /root/.bashrc']);
  });
});

describe('mountSteps volumes', () => {
  const volumeSlot = (i: number) => String(2 + DEV_NODES.length + 3 + i); // after proc, sysfs, devices, 3 /etc files

  it('clones a writable volume recursively without attributes', () => {
    const steps = plan('overlay', { volumes: [dirVolume] });
    expect(steps.find((s) => s.op === Op.CLONE && s.args[1] === dirVolume.source)?.args).toEqual([volumeSlot(0), '/home/u/src', '1', '0']);
  });

  it('clones a read-only volume with MOUNT_ATTR.RDONLY', () => {
    const steps = plan('overlay', { volumes: [dirVolume, roVolume] });
    expect(steps.find((s) => s.op === Op.CLONE && s.args[1] === roVolume.source)?.args).toEqual([
      volumeSlot(1),
      '/home/u/ref',
      '1',
      String(MOUNT_ATTR.RDONLY),
    ]);
  });

  it('attaches a directory volume on a directory it creates', () => {
    const steps = plan('bind', { volumes: [dirVolume] });
    const at = steps.findIndex((s) => s.op === Op.ATTACH && s.args[0] === volumeSlot(0));
    expect(steps.slice(at - 1, at + 1).map((s) => [s.op, ...s.args])).toEqual([
      [Op.MKDIR, '/src', '755'],
      [Op.ATTACH, volumeSlot(0), '/src'],
    ]);
  });

  it('attaches a file volume on an empty file, creating its parent directory', () => {
    const steps = plan('overlay', { volumes: [fileVolume] });
    const at = steps.findIndex((s) => s.op === Op.ATTACH && s.args[0] === volumeSlot(0));
    expect(steps.slice(at - 2, at + 1).map((s) => [s.op, ...s.args])).toEqual([
      [Op.MKDIR, '/root', '755'],
      [Op.MKFILE, '/root/.bashrc'],
      [Op.ATTACH, volumeSlot(0), '/root/.bashrc'],
    ]);
  });

  it('attaches volumes after /tmp is mounted, so a volume under /tmp is not hidden', () => {
    const steps = plan('overlay', { volumes: [{ ...dirVolume, target: '/tmp/work' }] });
    const tmp = steps.findIndex((s) => s.op === Op.MOUNT && s.args[1] === '/tmp');
    const at = steps.findIndex((s) => s.op === Op.ATTACH && s.args[1] === '/tmp/work');
    expect(tmp).toBeGreaterThan(pivotIndex(steps));
    expect(at).toBeGreaterThan(tmp);
  });

  it('without volumes, fills only proc, sys, the device nodes and the root', () => {
    const slots = plan('bind').filter(fills).map((s) => s.args[0]);
    expect(slots).toEqual(['63', '0', '1', '2', '3', '4', '5', '6', '7']);
  });
});
