import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveDockerSave } from '../src/docker-save';
import { ImageError } from '../src/errors';
import { defaultsFromConfig } from '../src/image-config';
import { blobPath, resolveOci } from '../src/oci';
import { hostPlatform, parsePlatform, platformMatches } from '../src/platform';
import { lookupImage, normalizeName } from '../src/names';
import { storeFor } from '../src/store';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const AMD64 = { os: 'linux', architecture: 'amd64' };

/** An in-memory layout: path -> bytes. */
function files(entries: Record<string, string | Buffer>) {
  const m = new Map(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v)]));
  return (rel: string) => m.get(rel);
}

function blob(store: Record<string, string>, json: unknown, extra: Record<string, unknown> = {}) {
  const text = JSON.stringify(json);
  store[`blobs/sha256/${sha(text)}`] = text;
  return { digest: `sha256:${sha(text)}`, size: Buffer.byteLength(text), ...extra };
}

function oci(arches: string[], opts: { nested?: boolean; corruptConfig?: boolean } = {}) {
  const store: Record<string, string> = { 'oci-layout': '{"imageLayoutVersion":"1.0.0"}' };
  const manifests = arches.map((arch) => {
    const config = blob(store, { os: 'linux', architecture: arch, config: { Cmd: [arch], Env: ['A=1'], WorkingDir: '/w', User: 'u' } });
    if (opts.corruptConfig) store[`blobs/sha256/${config.digest.slice(7)}`] = '{"config":{"Cmd":["evil"]}}';
    return blob(store, { schemaVersion: 2, config, layers: [{ digest: `sha256:${'a'.repeat(64)}`, size: 10 }] }, {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platform: { os: 'linux', architecture: arch },
    });
  });
  const top = opts.nested
    ? [blob(store, { schemaVersion: 2, manifests }, { mediaType: 'application/vnd.oci.image.index.v1+json' })]
    : manifests;
  store['index.json'] = JSON.stringify({ schemaVersion: 2, manifests: top });
  return { read: files(store), manifests };
}

describe('OCI layouts', () => {
  it('picks the host platform through a nested index and reads the config defaults', () => {
    const { read, manifests } = oci(['arm64', 'amd64'], { nested: true });
    const image = resolveOci(read, AMD64);
    expect(image.id).toBe(manifests[1].digest.slice(7));
    expect(image.defaults).toEqual({ cmd: ['amd64'], env: ['A=1'], workingDir: '/w', user: 'u' });
    expect(image.layers).toEqual([{ path: `blobs/sha256/${'a'.repeat(64)}`, digest: 'a'.repeat(64), size: 10 }]);
  });

  it('names the platforms it has when none matches', () => {
    const { read } = oci(['arm64', 's390x']);
    expect(() => resolveOci(read, AMD64)).toThrow('the image has no manifest for linux/amd64 (it has linux/arm64, linux/s390x): choose one with --platform');
  });

  it('refuses a config blob that does not match its digest', () => {
    const { read } = oci(['amd64'], { corruptConfig: true });
    expect(() => resolveOci(read, AMD64)).toThrow(/config blob sha256:[0-9a-f]{64} does not match its digest/);
  });

  it('accepts sha256 digests only, as blob paths inside the layout', () => {
    expect(blobPath(`sha256:${'b'.repeat(64)}`)).toBe(`blobs/sha256/${'b'.repeat(64)}`);
    for (const bad of [`sha512:${'b'.repeat(128)}`, 'sha256:../../etc/passwd', `sha256:${'B'.repeat(64)}`])
      expect(() => blobPath(bad)).toThrow(ImageError);
  });
});

describe('docker save archives', () => {
  const layer = Buffer.from('layer bytes');
  function archive(config: unknown, layers = ['abc/layer.tar'], name?: string) {
    const text = JSON.stringify(config);
    const cfgName = name ?? `${sha(text)}.json`;
    return files({ 'manifest.json': JSON.stringify([{ Config: cfgName, RepoTags: ['x:1'], Layers: layers }]), [cfgName]: text });
  }
  const config = { os: 'linux', architecture: 'amd64', config: { Entrypoint: ['/e'] }, rootfs: { diff_ids: [`sha256:${sha(layer)}`] } };

  it('takes the config digest as the id and each diff_id as the layer digest', () => {
    const image = resolveDockerSave(archive(config), AMD64);
    expect(image.id).toBe(sha(JSON.stringify(config)));
    expect(image.layers).toEqual([{ path: 'abc/layer.tar', digest: undefined, diffId: sha(layer) }]);
    expect(image.defaults).toEqual({ entrypoint: ['/e'] });
    expect(image.names).toEqual(['x:1']);
  });

  it('refuses a config that does not match its name', () => {
    expect(() => resolveDockerSave(archive(config, undefined, `${'c'.repeat(64)}.json`), AMD64)).toThrow(/does not match its digest/);
  });

  it('refuses a missing diff_id, a traversal in a layer path, and several images', () => {
    expect(() => resolveDockerSave(archive({ ...config, rootfs: { diff_ids: [] } }), AMD64)).toThrow(/diff_id for every layer/);
    expect(() => resolveDockerSave(archive(config, ['../../etc/shadow']), AMD64)).toThrow(/would land outside/);
    const two = files({ 'manifest.json': JSON.stringify([{ RepoTags: ['a:1'] }, { RepoTags: ['b:2'] }]) });
    expect(() => resolveDockerSave(two, AMD64)).toThrow('the archive holds 2 images (a:1, b:2): save one image per archive');
  });
});

describe('config, platform and names', () => {
  it('maps the image config to run defaults and refuses malformed fields', () => {
    expect(defaultsFromConfig({ config: { Env: ['A=1', 'junk'], Cmd: null, User: '' } })).toEqual({ env: ['A=1'] });
    expect(defaultsFromConfig({})).toEqual({});
    expect(() => defaultsFromConfig({ config: { Cmd: 'sh' } })).toThrow("the image config's Cmd is not a list of strings");
  });

  it('spells the host platform as OCI does and parses --platform', () => {
    expect(hostPlatform('x64')).toEqual({ os: 'linux', architecture: 'amd64', variant: undefined });
    expect(hostPlatform('arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux/arm/v6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(() => parsePlatform('amd64')).toThrow(/expected OS\/ARCH/);
    expect(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'arm64' })).toBe(true);
  });

  it('normalises names and finds images by name or id prefix', () => {
    expect(normalizeName('debian')).toBe('debian:latest');
    expect(normalizeName('my/app:1.0')).toBe('my/app:1.0');
    for (const bad of ['UPPER', 'a:', 'a::b', 'x y', '../x']) expect(() => normalizeName(bad)).toThrow(/invalid image name/);
    const store = storeFor({ XDG_DATA_HOME: '/nonexistent-minictl' });
    const ids = ['abcdef01'.repeat(8), 'abcdef02'.repeat(8)];
    expect(lookupImage(store, 'abcdef02', ids)).toBe(ids[1]);
    expect(() => lookupImage(store, 'abcdef', ids)).toThrow(/ambiguous/);
    expect(lookupImage(store, 'nothing', ids)).toBeUndefined();
  });
});
