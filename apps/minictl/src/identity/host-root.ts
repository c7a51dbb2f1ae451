import { readFileSync } from 'node:fs';

/** Root of the initial user namespace (root inside someone else's user namespace is fine). */
export function isHostRoot(): boolean {
  if (process.getuid!() !== 0) return false;
  try {
    return /^\s*0\s+0\s+4294967295\s*$/.test(readFileSync('/proc/self/uid_map', 'utf8'));
  } catch {
    return true;
  }
}
