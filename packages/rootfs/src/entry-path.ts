import { ImageError } from './errors';

/**
 * The path an archive member lands on, relative to the image root ('' for the root itself).
 * Leading slashes and "." components are dropped, as GNU tar does; a ".." component is never
 * accepted, whatever it would resolve to, so no spelling of a traversal reaches the writer.
 */
export function entryPath(name: string): string {
  if (name.includes('\0')) throw refuse(name);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw refuse(name);
    parts.push(part);
  }
  return parts.join('/');
}

function refuse(name: string): ImageError {
  return new ImageError(
    `archive member ${JSON.stringify(name)} would land outside the image root; refusing the archive`,
    'extract',
  );
}
