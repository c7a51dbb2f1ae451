/**
 * The CLI's entry point, bundled into dist/minictl.js and from there into a V8 start-up
 * snapshot (dist/minictl.blob): a snapshot-started process finds every module already loaded
 * and the command-line program already built, which is most of a Node CLI's start-up time.
 */
import { dirname, join, resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { useNativeBuild } from '@minictl/native';
import { buildProgram, main } from './main';
import { setSelfCommand } from './self';
import { warmUp } from './warm-up';
// Evaluated now, so that a snapshot holds the whole runtime, not only the argument parser.
import './run/run';

/** apps/minictl/dist → native/build/Release in the repository layout. */
function nativeBuildFrom(distDir: string): string {
  return resolve(distDir, '..', '..', '..', 'native', 'build', 'Release');
}

/**
 * Every command has finished its work when main resolves. Exiting now skips Node's heap
 * teardown (~2 ms with the snapshot's heap); stdout and stderr are synchronous here (files,
 * pipes and terminals on Linux), so nothing written is lost.
 */
function exit(): void {
  process.exit();
}

if (startupSnapshot.isBuildingSnapshot()) {
  // Also compiles the default seccomp filter, which every run installs, into the snapshot.
  warmUp();
  const program = buildProgram();
  startupSnapshot.setDeserializeMainFunction(() => {
    // Paths baked in at build time would be wrong for a moved tree: use the blob's location.
    const given = process.execArgv.find((a) => a.startsWith('--snapshot-blob='))?.slice('--snapshot-blob='.length);
    // bin/minictl passes bin/../dist/minictl.blob, possibly relative: children may run elsewhere.
    const blob = given && resolve(given);
    const dist = dirname(blob ?? __filename);
    useNativeBuild(nativeBuildFrom(dist));
    setSelfCommand(blob ? [process.execPath, `--snapshot-blob=${blob}`, '--'] : [process.execPath, join(dist, 'minictl.js')]);
    void main([process.argv[0], 'minictl', ...process.argv.slice(1)], program).then(exit);
  });
} else {
  useNativeBuild(nativeBuildFrom(__dirname));
  setSelfCommand([process.execPath, __filename]);
  void main(process.argv).then(exit);
}
