import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { removeTree, unpackArchive } from '@minictl/rootfs';

/**
 * Hidden commands minictl runs as itself inside a user namespace (identity/namespaced.ts):
 * there, as the namespace's root, it can give files the archive's owners, and remove trees
 * whose files belong to subordinate ids.
 */
export function registerInternal(program: Command): void {
  program
    .command('__unpack', { hidden: true })
    .argument('<archive>')
    .argument('<dest>')
    .argument('<result>', 'a JSON file for the outcome')
    .action(async (archive: string, dest: string, result: string) => {
      try {
        fs.writeFileSync(result, JSON.stringify(await unpackArchive(archive, dest, { owners: true })));
      } catch (e) {
        const err = e as Error & { step?: string; errno?: string };
        removeTree(dest);
        fs.writeFileSync(result, JSON.stringify({ error: err.message, step: err.step ?? 'extract', errno: err.errno }));
        process.exitCode = 125;
      }
    });
  program
    .command('__copy', { hidden: true })
    .argument('<src>')
    .argument('<dest>')
    // cp -a as the namespace's root keeps every owner, which fs.cpSync would not.
    .action((src: string, dest: string) => {
      process.exitCode = spawnSync('cp', ['-a', '--', src, dest], { stdio: 'inherit' }).status ?? 125;
    });
  program
    .command('__remove', { hidden: true })
    .argument('<dir>')
    .action((dir: string) => removeTree(dir));
}
