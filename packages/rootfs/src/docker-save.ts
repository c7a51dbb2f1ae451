import { entryPath } from './entry-path';
import { ImageError } from './errors';
import { defaultsFromConfig, isObject } from './image-config';
import { parseJson, sha256, type ReadFile, type ResolvedImage } from './layout';
import { configPlatform } from './oci';
import { formatPlatform, platformMatches, type Platform } from './platform';

/** The digest a docker-save path names: <hex>.json, blobs/sha256/<hex>, <hex>/layer.tar. */
function digestIn(p: string): string | undefined {
  return /(?:^|\/)(?:sha256\/)?([0-9a-f]{64})(?:\.json)?$/.exec(p)?.[1];
}

/**
 * A `docker save` archive (manifest.json, the config, layer tars). Integrity: the config's
 * bytes must hash to the digest its name carries, and each layer must match the config's
 * diff_ids (and its blob name, when it has one).
 */
export function resolveDockerSave(read: ReadFile, want: Platform): ResolvedImage {
  const json = parseJson(read('manifest.json')!, 'manifest.json');
  if (!Array.isArray(json) || json.length === 0) throw new ImageError('manifest.json lists no image', 'layout');
  if (json.length > 1) {
    const tags = json.flatMap((m) => (isObject(m) && Array.isArray(m.RepoTags) ? m.RepoTags : [])).join(', ');
    throw new ImageError(`the archive holds ${json.length} images${tags ? ` (${tags})` : ''}: save one image per archive`, 'layout');
  }
  const m = json[0];
  if (!isObject(m) || typeof m.Config !== 'string' || !Array.isArray(m.Layers) || !m.Layers.every((l) => typeof l === 'string'))
    throw new ImageError('manifest.json has no Config and Layers', 'layout');
  const configPath = entryPath(m.Config);
  const configBytes = read(configPath);
  if (!configBytes) throw new ImageError(`the archive has no image config ${configPath}`, 'layout');
  const id = digestIn(configPath);
  if (!id) throw new ImageError(`the image config ${configPath} is not named by its digest: cannot verify it`, 'verify');
  if (sha256(configBytes) !== id)
    throw new ImageError(`the image config ${configPath} does not match its digest: the archive is corrupt or was tampered with`, 'verify');
  const config = parseJson(configBytes, 'config');
  const diffIds = isObject(config) && isObject(config.rootfs) && Array.isArray(config.rootfs.diff_ids) ? config.rootfs.diff_ids : [];
  if (diffIds.length !== m.Layers.length || !diffIds.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d)))
    throw new ImageError('the image config does not list a sha256 diff_id for every layer', 'verify');
  const platform = configPlatform(config);
  if (platform && !platformMatches(platform, want))
    throw new ImageError(`the image is for ${formatPlatform(platform)}, not ${formatPlatform(want)}: choose it with --platform ${formatPlatform(platform)}`, 'platform');
  const layers = (m.Layers as string[]).map((l, i) => {
    const path = entryPath(l);
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(path)?.[1];
    return { path, digest: blob, diffId: (diffIds[i] as string).slice(7) };
  });
  return {
    format: 'docker-save',
    id,
    defaults: defaultsFromConfig(config),
    layers,
    platform: platform && formatPlatform(platform),
    names: Array.isArray(m.RepoTags) ? m.RepoTags.filter((t): t is string => typeof t === 'string') : [],
  };
}
