import { fsAddon } from '@minictl/native';
import { ImageError } from './errors';

export interface ImageUser {
  uid: number;
  gid: number;
  /** supplementary groups: every group of /etc/group that lists the user */
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** /etc/passwd lines `name:x:uid:gid:gecos:home:shell`; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 7 || !isId(f[2]) || !isId(f[3])) return [];
    return [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }];
  });
}

/** /etc/group lines `name:x:gid:member,member`; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4 || !isId(f[2])) return [];
    return [{ name: f[0], gid: Number(f[2]), members: f[3].split(',').filter(Boolean) }];
  });
}

/**
 * `--user UID[:GID]` or `NAME[:GROUP]` against the image's own account files, as Docker
 * resolves it: a numeric uid need not exist (its group is then 0 and HOME /); a name must.
 */
export function resolveUserIn(passwd: PasswdEntry[], groups: GroupEntry[], spec: string): ImageUser {
  const [userPart, groupPart, extra] = spec.split(':');
  if (!userPart || extra !== undefined || groupPart === '')
    throw new ImageError(`invalid --user ${JSON.stringify(spec)}: expected UID[:GID] or NAME[:GROUP]`, 'user');
  const entry = isId(userPart) ? passwd.find((p) => p.uid === Number(userPart)) : passwd.find((p) => p.name === userPart);
  if (!entry && !isId(userPart))
    throw new ImageError(`no user ${JSON.stringify(userPart)} in the image's /etc/passwd`, 'user');
  const uid = entry?.uid ?? Number(userPart);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined) {
    const g = isId(groupPart) ? { gid: Number(groupPart) } : groups.find((x) => x.name === groupPart);
    if (!g) throw new ImageError(`no group ${JSON.stringify(groupPart)} in the image's /etc/group`, 'user');
    gid = g.gid;
  }
  const additionalGids = entry
    ? [...new Set(groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid))]
    : [];
  return { uid, gid, additionalGids, home: entry?.home ?? '/' };
}

/** Resolve --user inside an unpacked image; the account files are read inside its root. */
export function resolveUser(rootfs: string, spec: string): ImageUser {
  const fsx = fsAddon();
  const root = fsx.openRoot(rootfs);
  try {
    return resolveUserIn(parsePasswd(readOptional(root, 'etc/passwd')), parseGroup(readOptional(root, 'etc/group')), spec);
  } finally {
    fsx.close(root);
  }
}

function readOptional(root: number, rel: string): string {
  try {
    return fsAddon().readFile(root, rel).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new ImageError(`cannot read the image's /${rel}: ${(e as Error).message}`, 'user', (e as NodeJS.ErrnoException).code);
  }
}

function isId(s: string): boolean {
  return /^\d+$/.test(s) && Number(s) <= 4294967294;
}
