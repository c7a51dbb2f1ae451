import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { removeTree } from '@minictl/rootfs';

/**
 * Hidden commands minictl runs as itself inside a user namespace (identity/namespaced.ts):
 * there, as the namespace's root, it can copy and remove trees whose files belong to
 * subordinate ids. (Images are unpacked there by minictl-unpack, a C program.)
 */
export function registerInternal(program: Command): void {
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
