import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWith, Sandbox, tempDir, testImage, waitFor } from '../support/harness';
import { dockerSave, gunzip, gzip, layerOf, ociLayout, sha256, tarOfDir, zstd } from '../support/images';

const box = new Sandbox();
const dir = tempDir();

/** Three layers: the busybox root, then whiteouts of files and an opaque directory. */
const base = gunzip(fs.readFileSync(testImage()));
const second = layerOf({ 'etc/motd': 'layer2\n', 'srv/a/keep': 'k', 'srv/a/gone': 'g', 'srv/b/old': 'o', 'bin/.wh.vi': '', 'opt/x': 'x' });
const third = layerOf({ 'srv/a/.wh.gone': '', 'srv/b/.wh..wh..opq': '', 'srv/b/new': 'n', 'opt/.wh.x': '', 'etc/motd': 'layer3\n' });
const layers = [base, second, third];
const config = { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo "$GREETING from $(pwd)"'], Env: ['GREETING=hello', 'PATH=/bin'], WorkingDir: '/srv' };

const TREE = 'test ! -e /bin/vi && cat /etc/motd && ls /srv/a && ls /srv/b && test ! -e /opt/x && ! find / -xdev -name ".wh.*" | grep .';
const ok = (args: string[]) => {
  const r = box.run(args);
  expect(r.status, `${r.stderr}${r.stdout}`).toBe(0);
  return r.stdout;
};

describe('image formats run end to end', () => {
  it('a docker-save archive: layers in order, whiteouts and opaque directories, config defaults', () => {
    const img = dockerSave(layers, config, path.join(dir, 'docker.tar'));
    expect(ok(['run', img])).toBe('hello from /srv\n');
    expect(ok(['run', '--entrypoint', '/bin/sh', img, '-c', TREE])).toBe('layer3\nkeep\nnew\n');
  });

  it('flags override the image config: the command, -e, -w, --entrypoint', () => {
    const img = path.join(dir, 'docker.tar');
    expect(ok(['run', '-e', 'GREETING=bye', '-w', '/opt', img])).toBe('bye from /opt\n');
    expect(ok(['run', img, 'echo replaced'])).toBe('replaced\n');
    expect(ok(['run', '--entrypoint', '/bin/echo', img, 'plain'])).toBe('plain\n');
  });

  it('an OCI layout directory with gzip and zstd layers', () => {
    const layout = ociLayout([gzip(base), zstd(second), third], layers, config);
    expect(ok(['run', '--entrypoint', '/bin/sh', layout, '-c', TREE])).toBe('layer3\nkeep\nnew\n');
  });

  it('an OCI layout as a tar, a tar.gz and a tar.zst, through a nested index, for this host', () => {
    const layout = ociLayout([gzip(base), second, third], layers, config, { nested: true });
    for (const c of [undefined, 'gzip', 'zstd'] as const) {
      const img = tarOfDir(layout, path.join(dir, `oci-${c ?? 'plain'}.tar`), c);
      expect(ok(['run', img])).toBe('hello from /srv\n');
    }
  });

  it('refuses an image for another platform, and takes it with --platform', () => {
    const layout = ociLayout([gzip(base)], [base], {}, { arch: 'arm64' });
    const r = box.run(['run', layout, 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim()).toBe('minictl: the image has no manifest for linux/amd64 (it has linux/arm64): choose one with --platform');
    expect(box.run(['import', '-q', '--platform', 'linux/arm64', layout]).status).toBe(0);
  });
});

describe('integrity: a blob that does not match its digest is refused, nothing cached', () => {
  function expectRefused(img: string, message: RegExp): void {
    const clean = new Sandbox();
    const r = clean.run(['run', img, 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(clean.images()).toEqual([]);
  }

  it('a FIFO planted where a blob should be is refused at once, not waited on', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const digest = '0'.repeat(64);
    execFileSync('mkfifo', [path.join(dir, 'blobs', 'sha256', digest)]);
    fs.writeFileSync(
      path.join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${digest}`, size: 10 }] }),
    );
    expectRefused(dir, /cannot read blobs\/sha256\/0+ of the image: EINVAL/);
  });

  it('an OCI layer blob changed after the manifest was written', () => {
    const layout = ociLayout([gzip(base), second], [base, second], config);
    const blob = path.join(layout, 'blobs', 'sha256', sha256(second));
    // One byte of a file's content: the tar stays valid, only its digest tells.
    const bytes = fs.readFileSync(blob);
    bytes[bytes.indexOf('layer2')] = 0x4c;
    fs.writeFileSync(blob, bytes);
    expectRefused(layout, /layer 2 of the image .* does not match its digest/);
  });

  it('a docker-save layer that is not the one its config names', () => {
    const img = dockerSave([base, second], config, path.join(dir, 'swap.tar'));
    const work = tempDir();
    execFileSync('tar', ['-C', work, '-xf', img]);
    fs.writeFileSync(path.join(work, sha256(second), 'layer.tar'), third);
    expectRefused(tarOfDir(work, path.join(dir, 'swapped.tar')), /layer 2 of the image .* does not match its digest/);
  });

  it('an OCI manifest whose config blob was replaced', () => {
    const layout = ociLayout([base], [base], config);
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    const manifestPath = path.join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7));
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    fs.writeFileSync(path.join(layout, 'blobs', 'sha256', manifest.config.digest.slice(7)), '{"config":{"Cmd":["evil"]}}');
    expectRefused(layout, /config blob .* does not match its digest/);
  });
});

describe('image commands', () => {
  const cmds = new Sandbox();
  const img = path.join(dir, 'docker.tar');

  it('import FILE NAME, images (table and --json), run NAME', () => {
    expect(cmds.run(['import', img, 'demo:v1']).stdout).toBe('demo:v1\n');
    const table = cmds.run(['images']).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+TAG\s+IMAGE ID\s+FORMAT\s+SIZE\s+IMPORTED$/);
    expect(table[1]).toMatch(/^demo\s+v1\s+[0-9a-f]{12}\s+docker-save\s+[\d.]+ MB\s+\d+ seconds ago$/);
    const json = JSON.parse(cmds.run(['images', '--json']).stdout);
    expect(json).toEqual([expect.objectContaining({ names: ['demo:v1'], format: 'docker-save', layers: 3, source: img })]);
    expect(cmds.run(['run', 'demo:v1']).stdout).toBe('hello from /srv\n');
  });

  it('a second import of the same file does not read it again', () => {
    const copy = path.join(dir, 'same.tar');
    fs.copyFileSync(testImage(), copy);
    const when = new Date(1_700_000_000_000);
    fs.utimesSync(copy, when, when);
    expect(cmds.run(['import', '-q', copy]).status).toBe(0);
    // Same inode, size and mtime, unreadable content: only a re-read would notice.
    const size = fs.statSync(copy).size;
    fs.writeFileSync(copy, Buffer.alloc(size, 0x42));
    fs.utimesSync(copy, when, when);
    const again = cmds.run(['import', '-q', copy]);
    expect(again.status, again.stderr).toBe(0);
  });

  it('rmi by name untags, then the image goes with its last name; trees under subordinate ids too', () => {
    expect(cmds.run(['import', '-q', img, 'demo:v2']).status).toBe(0);
    expect(cmds.run(['rmi', 'demo:v1']).stdout).toBe('untagged demo:v1\n');
    const id = JSON.parse(cmds.run(['images', '--json']).stdout).find((r: { names: string[] }) => r.names.includes('demo:v2')).id;
    const r = cmds.run(['rmi', 'demo:v2']);
    expect(r.stdout).toBe(`untagged demo:v2\ndeleted ${id}\n`);
    expect(cmds.images()).not.toContain(id);
  });

  it('prune removes unnamed images and reports the space', () => {
    expect(cmds.run(['import', '-q', img, 'kept']).status).toBe(0);
    const r = cmds.run(['prune']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^deleted [0-9a-f]{64}\n(.*\n)*reclaimed [\d.]+ .?B\n$/);
    expect(JSON.parse(cmds.run(['images', '--json']).stdout).map((x: { names: string[] }) => x.names)).toEqual([['kept:latest']]);
    expect(cmds.trees().every((t) => fs.existsSync(t))).toBe(true);
  });

  it('an import stopped by Ctrl-C exits 130, as a shell reports it, and leaves nothing behind', async () => {
    // A FIFO nobody writes to: the unpacker waits on it until the signal comes.
    const fifo = path.join(tempDir(), 'never.tar');
    execFileSync('mkfifo', [fifo]);
    const own = new Sandbox();
    const child = own.spawn(['import', '-q', fifo]);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    // minictl and the unpacker (inside the user namespace) have the archive on their command lines
    await waitFor(() => processesWith(fifo).length === 2, 15_000, 'the unpacker to start');
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(stderr).toBe('minictl: unpacking stopped by SIGINT\n');
    // no image, and no temporary tree either
    expect(fs.existsSync(own.imagesDir) ? fs.readdirSync(own.imagesDir) : []).toEqual([]);
  });

  it('rmi of an unknown image: 125, one line', () => {
    const r = cmds.run(['rmi', 'nothing-here']);
    expect(r.status).toBe(125);
    expect(r.stderr.trim()).toBe('minictl: no image nothing-here: see minictl images');
  });
});

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

describe.skipIf(!has('skopeo'))('images written by skopeo', () => {
  it('docker-archive: and oci-archive: copies of a test layout run', () => {
    const layout = ociLayout([gzip(base), second, third], layers, config);
    for (const dest of ['docker-archive', 'oci-archive']) {
      const out = path.join(dir, `skopeo-${dest}.tar`);
      execFileSync('skopeo', ['copy', '--quiet', `oci:${layout}:latest`, `${dest}:${out}${dest === 'docker-archive' ? ':test/skopeo:1' : ''}`]);
      expect(ok(['run', out])).toBe('hello from /srv\n');
    }
  });
});

describe.skipIf(!has('umoci'))('images written by umoci', () => {
  it('a layer added with umoci insert runs', () => {
    const layout = ociLayout([gzip(base)], [base], config);
    const extra = tempDir();
    fs.writeFileSync(path.join(extra, 'added'), 'by umoci\n');
    execFileSync('umoci', ['insert', '--rootless', '--image', `${layout}:latest`, path.join(extra, 'added'), '/added']);
    expect(ok(['run', '-w', '/', layout, 'cat /added'])).toBe('by umoci\n');
  });
});
