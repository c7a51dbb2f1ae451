import type { Command } from 'commander';
import {
  ImageError,
  listRecords,
  lookupImage,
  looksLikeName,
  namesOf,
  normalizeName,
  readNames,
  removeTree,
  storeFor,
  writeNames,
} from '@minictl/rootfs';
import { containersUsing } from './in-use';
import { namespacedRemover, treeTools } from '../identity/namespaced';
import { resolveIdentity } from '../identity/resolve';
import { notice } from '../output';
import { formatSize, formatTable, rowsOf } from './list';
import { importFile } from './open';
import { removeImage, removeStale, type Remover } from './remove';

/** `import`, `images`, `rmi`, `prune`: the image cache. */
export function registerImages(program: Command): void {
  program
    .command('import')
    .description('import an image (rootfs tarball, docker-save archive, OCI layout or its tar) into the cache')
    .argument('<file>', 'archive or OCI layout directory')
    .argument('[name]', 'a name for it, NAME[:TAG] (tag default: latest)')
    .option('-q, --quiet', 'no progress bar')
    .option('--platform <os/arch[/variant]>', "which image of a multi-platform archive (default: this host's)")
    .option('--userns <mode>', 'unpack for this id mapping (as minictl run --userns will use it)')
    .action(async (file: string, name: string | undefined, opts: { quiet?: boolean; platform?: string; userns?: string }) => {
      const ref = name === undefined ? undefined : normalizeName(name);
      const store = storeFor();
      const identity = resolveIdentity({ userns: opts.userns });
      if (identity.notice) notice(identity.notice);
      const image = await importFile(file, store, treeTools(identity), opts);
      if (ref) writeNames(store, { ...readNames(store), [ref]: image.digest });
      process.stdout.write(`${ref ?? image.digest}\n`);
    });

  program
    .command('images')
    .description('list the images in the cache')
    .option('--json', 'print JSON: [{ id, names, format, platform, layers, size, imported, source }]')
    .action((opts: { json?: boolean }) => {
      const store = storeFor();
      const rows = rowsOf(listRecords(store), readNames(store));
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatTable(rows));
    });

  program
    .command('rmi')
    .description('remove a name; an image goes with its last name, or at once when given by id')
    .argument('<image...>', 'NAME[:TAG] or image id (a unique prefix of 6 or more digits)')
    .action(async (refs: string[], _opts: unknown, cmd: Command) => {
      const store = storeFor();
      const stateRoot = (cmd.optsWithGlobals() as { root?: string }).root;
      const ids = listRecords(store).map((r) => r.id);
      for (const ref of refs) {
        const id = lookupImage(store, ref, ids);
        if (!id) throw new ImageError(`no image ${ref}: see minictl images`, 'rmi');
        const names = readNames(store);
        const name = looksLikeName(ref) ? normalizeName(ref) : undefined;
        const untagOnly = name !== undefined && names[name] === id && namesOf(names, id).length > 1;
        // Refused before anything changes: the image must not go from under a container.
        const users = untagOnly ? [] : containersUsing(store, id, stateRoot);
        if (users.length)
          throw new ImageError(`image ${ref} is in use by container ${users.join(', ')}: stop and remove it first (minictl rm -f)`, 'rmi');
        if (name && names[name] === id) {
          delete names[name];
          writeNames(store, names);
          process.stdout.write(`untagged ${name}\n`);
          if (untagOnly) continue;
        }
        await removeImage(store, id, ownRemover, rangedRemover());
        process.stdout.write(`deleted ${id}\n`);
      }
    });

  program
    .command('prune')
    .description('remove images without a name, and what interrupted imports left behind')
    .action(async (_opts: unknown, cmd: Command) => {
      const store = storeFor();
      const stateRoot = (cmd.optsWithGlobals() as { root?: string }).root;
      const names = readNames(store);
      let freed = 0;
      for (const r of listRecords(store)) {
        if (namesOf(names, r.id).length > 0 || containersUsing(store, r.id, stateRoot).length > 0) continue;
        await removeImage(store, r.id, ownRemover, rangedRemover());
        freed += r.size;
        process.stdout.write(`deleted ${r.id}\n`);
      }
      for (const dir of await removeStale(store, rangedRemover())) process.stdout.write(`removed ${dir}\n`);
      process.stdout.write(`reclaimed ${formatSize(freed)}\n`);
    });
}

const ownRemover: Remover = async (dir) => removeTree(dir);

/**
 * Trees unpacked under any subordinate mapping hold only ids of the user's ranges, which the
 * full-range identity maps: removed inside such a namespace. Resolved on first use only.
 */
function rangedRemover(): Remover {
  let remover: Remover | undefined;
  return async (dir) => {
    remover ??= namespacedRemover(resolveIdentity({ userns: 'subuid' }));
    await remover(dir);
  };
}
