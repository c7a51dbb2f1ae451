import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sandbox, tempDir, testImage } from '../support/harness';

const box = new Sandbox();

function treeListing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('minictl run: filesystem', () => {
  it('unpacks an image once into the content-addressed cache and reuses it', () => {
    box.sh('true');
    const images = box.images();
    expect(images).toHaveLength(1);
    expect(images[0]).toMatch(/^[0-9a-f]{64}$/);
    const rootfs = box.trees()[0];
    const ino = fs.statSync(rootfs).ino;
    const bin = fs.statSync(path.join(rootfs, 'bin', 'busybox')).mtimeMs;
    box.sh('true');
    expect(box.images()).toEqual(images);
    expect(fs.statSync(rootfs).ino).toBe(ino);
    expect(fs.statSync(path.join(rootfs, 'bin', 'busybox')).mtimeMs).toBe(bin);
  });

  it('gives each run a private writable layer: the cache and later runs never see its writes', () => {
    box.sh('true');
    const rootfs = box.trees()[0];
    const before = treeListing(rootfs);
    const group = fs.readFileSync(path.join(rootfs, 'etc', 'group'), 'utf8');
    box.sh('echo x > /written && rm /etc/passwd && mkdir /newdir && echo y > /bin/extra && echo extra:x:9: >> /etc/group');
    expect(treeListing(rootfs)).toEqual(before);
    expect(fs.readFileSync(path.join(rootfs, 'etc', 'group'), 'utf8')).toBe(group);
    expect(box.sh('ls /written /newdir /bin/extra 2>&1; cat /etc/passwd | head -1')).toContain('root:x:0:0');
    expect(box.run(['run', testImage(), 'ls', '/written']).status).not.toBe(0);
  });

  it('mounts the image read-only with --read-only, keeping /tmp and /dev/shm writable', () => {
    const r = box.run(['run', '--read-only', testImage(), 'sh', '-c', 'touch /x; echo rc=$?; touch /tmp/y /dev/shm/z && echo tmp-ok']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('rc=1');
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stdout).toContain('tmp-ok');
  });

  it("gives a --read-only root its own /etc/hosts over the image's, and says so when the image has none", () => {
    const r = box.run(['run', '--read-only', '--hostname', 'rohost', testImage(), 'sh', '-c', 'grep -c rohost /etc/hosts']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1\n');
    const root = path.join(tempDir(), 'root');
    fs.mkdirSync(root);
    execFileSync('tar', ['-xzf', testImage(), '-C', root]);
    fs.rmSync(path.join(root, 'etc', 'hosts'));
    fs.rmSync(path.join(root, 'etc', 'resolv.conf'));
    const bare = box.run(['run', '--read-only', '--rootfs', root, 'sh', '-c', 'test ! -e /etc/hosts && test ! -e /etc/resolv.conf']);
    expect(bare.status).toBe(0);
    expect(bare.stderr.trim().split('\n')).toEqual([
      'minictl: warning: the read-only image has no /etc/hosts to mount over, so the container has none (add one to the image, or drop --read-only)',
      'minictl: warning: the read-only image has no /etc/resolv.conf to mount over, so the container has none (add one to the image, or drop --read-only)',
    ]);
  });

  it('has a fresh tmpfs /tmp', () => {
    const line = box.sh('grep " /tmp " /proc/self/mounts');
    expect(line).toMatch(/^tmpfs \/tmp tmpfs rw,nosuid,nodev/);
  });

  it('binds host directories and files with -v, read-write or :ro, owned by the user on the host', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'in.txt'), 'from host\n');
    const file = path.join(tempDir(), 'single.txt');
    fs.writeFileSync(file, 'one file\n');
    const out = box.sh('cat /data/in.txt; echo from container > /data/out.txt; cat /etc/single.txt; touch /ro/x 2>&1 || true', [
      '-v', `${dir}:/data`,
      '-v', `${file}:/etc/single.txt`,
      '-v', `${dir}:/ro:ro`,
    ]);
    expect(out).toContain('from host');
    expect(out).toContain('one file');
    expect(out).toMatch(/Read-only file system/);
    const written = path.join(dir, 'out.txt');
    expect(fs.readFileSync(written, 'utf8')).toBe('from container\n');
    expect(fs.statSync(written).uid).toBe(process.getuid!());
    expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('runs an unpacked directory with --rootfs without changing it', () => {
    box.sh('true');
    const rootfs = box.trees()[0];
    const before = treeListing(rootfs);
    const r = box.run(['run', '--rootfs', rootfs, 'sh', '-c', 'touch /made-here && ls /made-here']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('/made-here');
    expect(treeListing(rootfs)).toEqual(before);
  });

  it('leaves nothing mounted or stored per run once the container exits', () => {
    box.sh('dd if=/dev/zero of=/big bs=1024 count=512 2>/dev/null');
    const entries = fs.readdirSync(path.join(box.data, 'minictl')).sort();
    expect(entries).toEqual(['images', 'index.json', 'mnt']);
    expect(fs.readdirSync(path.join(box.data, 'minictl', 'mnt'))).toEqual([]);
  });
});
