/**
 * The CLI's entry point, bundled into dist/minictl.js and from there into a V8 start-up
 * snapshot inside dist/minictl: a snapshot-started process finds every module already loaded
 * and the command-line program already built, which is most of a Node CLI's start-up time.
 */
import { dirname, resolve } from 'node:path';
import { startupSnapshot } from 'node:v8';
import { useNativeBuild } from '@minictl/native';
import { exitWhenWritten, trackStdio } from './exit';
import { dropMore, setMoreDir } from './load-more';
import { buildProgram, main } from './main';
import { setSelfCommand } from './self';
import { warmUp } from './warm-up';
// Evaluated now, so that a snapshot holds the whole runtime, not only the argument parser.
import './run/run';

/** Where the rest of the build is, from apps/minictl/dist, in the repository layout. */
function useBuild(distDir: string): void {
  useNativeBuild(resolve(distDir, '..', '..', '..', 'native', 'build', 'Release'));
  setMoreDir(distDir);
}

if (startupSnapshot.isBuildingSnapshot()) {
  // Also compiles the default seccomp filter, which every run installs, into the snapshot,
  // with @minictl/seccomp from the other commands' bundle, which the snapshot does not keep.
  useBuild(__dirname);
  warmUp();
  dropMore();
  const program = buildProgram();
  startupSnapshot.setDeserializeMainFunction(() => {
    // This process is dist/minictl, the single executable the snapshot is built into (build.js):
    // its own path, not one baked in at build time, says where the rest of the build is.
    useBuild(dirname(process.execPath));
    setSelfCommand([process.execPath]);
    trackStdio();
    // A single executable's argv[1] repeats its path, where node would have a script's.
    void main([process.argv[0], 'minictl', ...process.argv.slice(2)], program).then(exitWhenWritten);
  });
} else {
  useBuild(__dirname);
  setSelfCommand([process.execPath, __filename]);
  trackStdio();
  void main(process.argv).then(exitWhenWritten);
}
