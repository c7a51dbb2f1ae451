import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ownedImage, Sandbox, subRange, tempDir, testImage } from '../support/harness';

const box = new Sandbox();
const uid = process.getuid!();
const gid = process.getgid!();
const subuid = subRange('uid');
const subgid = subRange('gid');

/** /proc map text as "inside outside length" lines. */
const lines = (text: string) => text.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));

function maps(args: string[]): { uid: string[]; gid: string[]; setgroups: string; ids: string } {
  const out = box.sh('cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; cat /proc/self/setgroups; echo --; id -u; id -g', args);
  const [u, g, sg, ids] = out.split('--\n');
  return { uid: lines(u), gid: lines(g), setgroups: sg.trim(), ids: ids.trim().split('\n').join(':') };
}

describe('--userns modes: the exact maps', () => {
  it('auto uses the subordinate range when the user has one', () => {
    const m = maps([]);
    expect(m.uid).toEqual([`0 ${uid} 1`, `1 ${subuid.start} ${subuid.count}`]);
    expect(m.gid).toEqual([`0 ${gid} 1`, `1 ${subgid.start} ${subgid.count}`]);
    expect(m.setgroups).toBe('allow');
    expect(m.ids).toBe('0:0');
  });

  it('root maps only the caller, with setgroups denied', () => {
    const m = maps(['--userns', 'root']);
    expect(m.uid).toEqual([`0 ${uid} 1`]);
    expect(m.gid).toEqual([`0 ${gid} 1`]);
    expect(m.setgroups).toBe('deny');
  });

  it('subuid maps 0 to the caller and 1..N to the range', () => {
    const m = maps(['--userns', 'subuid']);
    expect(m.uid).toEqual([`0 ${uid} 1`, `1 ${subuid.start} ${subuid.count}`]);
    expect(m.setgroups).toBe('allow');
  });

  it('keep-id maps the caller to itself and runs as the caller', () => {
    const m = maps(['--userns', 'keep-id']);
    expect(m.uid).toEqual([`0 ${subuid.start} ${uid}`, `${uid} ${uid} 1`, `${uid + 1} ${subuid.start + uid} ${subuid.count - uid}`]);
    expect(m.gid).toEqual([`0 ${subgid.start} ${gid}`, `${gid} ${gid} 1`, `${gid + 1} ${subgid.start + gid} ${subgid.count - gid}`]);
    expect(m.ids).toBe(`${uid}:${gid}`);
  });

  it('takes explicit --uidmap/--gidmap and --setgroups', () => {
    const m = maps(['--uidmap', `0 ${uid} 1,1 ${subuid.start} 100`, '--gidmap', `0 ${gid} 1,1 ${subgid.start} 100`, '--setgroups', 'deny']);
    expect(m.uid).toEqual([`0 ${uid} 1`, `1 ${subuid.start} 100`]);
    expect(m.gid).toEqual([`0 ${gid} 1`, `1 ${subgid.start} 100`]);
    expect(m.setgroups).toBe('deny');
  });
});

describe('ownership on the host of files made inside', () => {
  function made(args: string[]): { root: fs.Stats; chowned?: fs.Stats } {
    const dir = tempDir();
    fs.chmodSync(dir, 0o777);
    const r = box.run(['run', '-v', `${dir}:/out`, ...args, testImage(), 'sh', '-c', 'touch /out/f; chown 1000:1000 /out/f 2>/dev/null; touch /out/g; true']);
    expect(r.status, r.stderr).toBe(0);
    return { root: fs.statSync(path.join(dir, 'g')), chowned: fs.statSync(path.join(dir, 'f')) };
  }

  it('root: the caller owns everything; chown to another id is impossible', () => {
    const m = made(['--userns', 'root']);
    expect([m.root.uid, m.root.gid]).toEqual([uid, gid]);
    expect([m.chowned!.uid, m.chowned!.gid]).toEqual([uid, gid]);
  });

  it('subuid: root is the caller, uid 1000 is the range start + 999', () => {
    const m = made(['--userns', 'subuid']);
    expect([m.root.uid, m.root.gid]).toEqual([uid, gid]);
    expect([m.chowned!.uid, m.chowned!.gid]).toEqual([subuid.start + 999, subgid.start + 999]);
  });

  it('keep-id: files are the caller\'s own', () => {
    const dir = tempDir();
    const r = box.run(['run', '--userns', 'keep-id', '-v', `${dir}:/out`, testImage(), 'touch', '/out/mine']);
    expect(r.status, r.stderr).toBe(0);
    const st = fs.statSync(path.join(dir, 'mine'));
    expect([st.uid, st.gid]).toEqual([uid, gid]);
  });
});

describe('images keep their owners under a range', () => {
  const image = ownedImage();

  it('unpacks inside the user namespace: /etc/shadow stays root:42 and /home/u 1000:1000', () => {
    const r = box.run(['run', image, 'stat', '-c', '%n %u:%g %a', '/etc/shadow', '/home/u']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['/etc/shadow 0:42 640', '/home/u 1000:1000 755']);
  });

  it('keeps trees unpacked under different mappings apart', () => {
    box.run(['run', image, 'true']);
    box.run(['run', '--userns', 'root', image, 'true']);
    const digests = box.images();
    const trees = digests.flatMap((d) => fs.readdirSync(path.join(box.imagesDir, d)));
    expect(trees).toContain('rootfs');
    expect(trees.some((t) => /^rootfs-[0-9a-f]{12}$/.test(t))).toBe(true);
    const r = box.run(['run', '--userns', 'root', image, 'stat', '-c', '%u:%g', '/etc/shadow']);
    expect(r.stdout.trim()).toBe('0:0');
  });

  it('runs as --user NAME with its groups and HOME, and as --user UID:GID', () => {
    const r = box.run(['run', '--user', 'u', image, 'sh', '-c', 'id -u; id -g; id -G; echo $HOME; cat /etc/shadow 2>&1 || true']);
    expect(r.status, r.stderr).toBe(0);
    const [u, g, groups, home, shadow] = r.stdout.trim().split('\n');
    expect([u, g, home]).toEqual(['1000', '1000', '/home/u']);
    expect(groups.split(' ').sort()).toEqual(['1000', '50']);
    expect(shadow).toMatch(/Permission denied/);
    expect(box.run(['run', '--user', '123:456', image, 'sh', '-c', 'id -u; id -g']).stdout.trim().split('\n')).toEqual(['123', '456']);
  });

  it('lets root become another user with su', () => {
    const r = box.run(['run', image, 'su', 'u', '-c', 'id -u; echo $HOME']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['1000', '/home/u']);
  });

  it('removes a partial tree owned by subordinate ids when unpacking fails', () => {
    const whole = fs.readFileSync(image);
    const cut = path.join(tempDir(), 'cut.tar');
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 3000));
    const fresh = new Sandbox();
    const r = fresh.run(['run', cut, 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fresh.images()).toEqual([]);
  });
});

describe('bad maps are refused before anything runs, naming the record', () => {
  const refused = (args: string[], message: RegExp) => {
    const marker = path.join(tempDir(), 'ran');
    const r = box.run(['run', ...args, '-v', `${path.dirname(marker)}:/m`, testImage(), 'touch', '/m/ran']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(fs.existsSync(marker)).toBe(false);
  };

  it('overlapping records', () => refused(['--uidmap', `0 ${uid} 1,0 ${subuid.start} 10`], /overlap/));
  it('a zero length', () => refused(['--uidmap', `0 ${uid} 0`], /"0 \d+ 0"/));
  it('a range /etc/subuid does not grant', () => refused(['--uidmap', `0 ${uid} 1,1 ${subuid.start + subuid.count} 10`], /\/etc\/subuid/));
  it('a gid range /etc/subgid does not grant', () => refused(['--gidmap', `0 ${gid} 1,1 ${subgid.start + subgid.count} 10`], /\/etc\/subgid/));
  it('ids out of range', () => refused(['--uidmap', `0 ${uid} 1,4294967290 ${subuid.start} 100`], /4294967290/));
  it('a malformed record', () => refused(['--uidmap', '0 1000'], /"0 1000"/));
  it('more records than the kernel accepts', () =>
    refused(['--uidmap', Array.from({ length: 341 }, (_, i) => `${i + 1} ${subuid.start + i} 1`).join(',')], /340/));
  it('an unknown mode', () => refused(['--userns', 'sideways'], /--userns takes/));
});

describe('missing helpers', () => {
  // A PATH holding only node and readlink: newuidmap and newgidmap are "not installed".
  const bin = tempDir();
  for (const tool of ['node', 'readlink']) fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim(), path.join(bin, tool));
  const env = { PATH: bin };

  it('subuid mode says which package to install', () => {
    const r = box.run(['run', '--userns', 'subuid', testImage(), 'true'], { env });
    expect(r.status).toBe(125);
    expect(r.stderr.trim()).toMatch(/newuidmap not found: install the "uidmap" package/);
  });

  it('auto falls back to the single root mapping with one notice line', () => {
    const r = box.run(['run', testImage(), 'cat', '/proc/self/uid_map'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([`0 ${uid} 1`]);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^minictl: notice: .*uidmap/)]);
  });
});

describe('minictl unshare: fakeroot packaging', () => {
  it('is root in place, chown works within the range, and tar records 0/0 and 1000/1000', () => {
    const work = tempDir();
    const r = spawnSync(
      CLI,
      ['unshare', '--', 'sh', '-c', 'id -u; pwd; mkdir -p pkg/usr/bin pkg/home/u && echo hi > pkg/usr/bin/tool && chown 1000:1000 pkg/home/u && tar --numeric-owner -cf pkg.tar pkg'],
      { cwd: work, env: box.env, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['0', work]);
    const st = fs.statSync(path.join(work, 'pkg', 'home', 'u'));
    expect([st.uid, st.gid]).toEqual([subuid.start + 999, subgid.start + 999]);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', path.join(work, 'pkg.tar')]).toString();
    const owners = Object.fromEntries(listing.trim().split('\n').map((l) => [l.split(/\s+/).pop()!.replace(/\/$/, ''), l.split(/\s+/)[1]]));
    expect(owners['pkg/usr/bin/tool']).toBe('0/0');
    expect(owners['pkg/usr']).toBe('0/0');
    expect(owners['pkg/home/u']).toBe('1000/1000');
    // the packager still owns what it made, on the host
    expect(fs.statSync(path.join(work, 'pkg.tar')).uid).toBe(uid);
    // files of subordinate ids are removed the same way they were made
    expect(spawnSync(CLI, ['unshare', '--', 'rm', '-rf', 'pkg'], { cwd: work, env: box.env }).status).toBe(0);
    expect(fs.readdirSync(work)).toEqual(['pkg.tar']);
  });

  it('maps exactly as asked: -r, -M/-G, and -D for setgroups', () => {
    const run = (args: string[]) =>
      spawnSync(CLI, ['unshare', ...args, '--', 'sh', '-c', 'cat /proc/self/uid_map /proc/self/setgroups'], { env: box.env, encoding: 'utf8' });
    expect(lines(run(['-r']).stdout)).toEqual([`0 ${uid} 1`, 'deny']);
    const ranged = run(['-M', `0 ${uid} 1,1 ${subuid.start} 5`, '-G', `0 ${gid} 1,1 ${subgid.start} 5`, '-D']);
    expect(lines(ranged.stdout)).toEqual([`0 ${uid} 1`, `1 ${subuid.start} 5`, 'allow']);
  });
});
