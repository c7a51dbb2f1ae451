import { readFileSync } from 'node:fs';

/** A sysctl by its /proc/sys path ("user/max_user_namespaces"); undefined when absent or unreadable. */
export function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
