import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isCode } from './errors';

/** rm -rf that also copes with directories unpacked read-only. */
export function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    if (!isCode(e, 'EACCES', 'EPERM')) throw e;
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o700);
  for (const d of readdirSync(dir, { withFileTypes: true }))
    if (d.isDirectory()) makeWritable(join(dir, d.name));
}
