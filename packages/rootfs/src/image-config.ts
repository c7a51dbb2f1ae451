import { ImageError } from './errors';

/** What an image's config gives `minictl run` by default; CLI flags override each. */
export interface ImageDefaults {
  entrypoint?: string[];
  cmd?: string[];
  /** KEY=VALUE */
  env?: string[];
  workingDir?: string;
  user?: string;
}

/** The run defaults of an OCI or docker image config (its "config" object). */
export function defaultsFromConfig(json: unknown): ImageDefaults {
  const c = (isObject(json) && isObject(json.config) ? json.config : {}) as Record<string, unknown>;
  const out: ImageDefaults = {};
  const list = (key: string): string[] | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new ImageError(`the image config's ${key} is not a list of strings`, 'config');
    return v;
  };
  const text = (key: string): string | undefined => {
    const v = c[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new ImageError(`the image config's ${key} is not a string`, 'config');
    return v;
  };
  const entrypoint = list('Entrypoint');
  const cmd = list('Cmd');
  const env = list('Env');
  const workingDir = text('WorkingDir');
  const user = text('User');
  if (entrypoint) out.entrypoint = entrypoint;
  if (cmd) out.cmd = cmd;
  if (env) out.env = env.filter((e) => e.includes('='));
  if (workingDir) out.workingDir = workingDir;
  if (user) out.user = user;
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
