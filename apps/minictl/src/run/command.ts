import { InvalidArgumentError, Option, type Command } from 'commander';
import { endEarlyLauncher } from '@minictl/nsproc';
import { collect } from '../options';
import { more } from '../load-more';
import { UsageError } from './parse';
import { runCommand } from './run';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a command in a new container made from an image tarball')
    .argument('[image]', 'image: a name from minictl images, an archive (rootfs tar, docker save, OCI) or an OCI layout; omit with --rootfs')
    .argument('[command...]', 'command and arguments (default: /bin/sh)')
    .option('--rootfs <dir>', 'run an already unpacked root directory instead of an image')
    .option('--bundle <dir>', 'run an OCI bundle (config.json and its root) instead of an image')
    .option('-d, --detach', 'run in the background; print the container id (see ps, logs, exec, stop, rm)')
    .option('--name <name>', 'a unique name for the container')
    .option('-e, --env <KEY=VAL>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read KEY=VAL lines from a file (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container', undefined)
    .option('--entrypoint <cmd>', "replace the image's entrypoint (and its default command); '' clears it")
    .option('--platform <os/arch[/variant]>', "which image of a multi-platform archive (default: this host's)")
    .option('-q, --quiet', 'no progress bar while importing the image')
    .option('-v, --volume <host:path[:ro]>', 'bind a host path into the container (repeatable)', collect, [])
    .option('--hostname <name>', 'host name inside the container (default: the short container id)')
    .option('--read-only', 'mount the image read-only instead of giving the run a writable layer')
    .option('--no-init', "run the command as pid 1 instead of under minictl's init")
    .option('-u, --user <user[:group]>', "run as this user: UID[:GID] or NAME[:GROUP] from the image's /etc/passwd")
    .option('--userns <mode>', 'id mapping: auto (default: your subuid range if any), root, subuid or keep-id')
    .option('--uidmap <map>', 'explicit uid map "ID-inside ID-outside length[,...]"')
    .option('--gidmap <map>', 'explicit gid map, same syntax')
    .option('--setgroups <allow|deny>', 'whether setgroups(2) is allowed inside')
    .option('--cap-add <cap>', 'add a capability, or ALL (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability, or ALL (repeatable)', collect, [])
    .option('--securebits <letters>', 'securebits to set: r R s S k K a A (e.g. rR = NOROOT and its lock), 0, or a number')
    .option('--network <mode>', 'none (default: loopback only), host, or pasta (user-mode networking)')
    .option('-p, --publish <hostport:port>', 'publish a port through pasta: HOSTPORT:PORT[/tcp|udp] (repeatable)', collect, [])
    .option('--ulimit <name=soft[:hard]>', 'set a resource limit, e.g. nofile=1024:4096 (repeatable)', collect, [])
    .option('--tmpfs <path[:options]>', 'mount a tmpfs, e.g. /run:size=64m (repeatable)', collect, [])
    .option('--memory <size>', 'memory limit (cgroup v2, where delegated to you), e.g. 512m')
    .option('--pids-limit <n>', 'process limit (cgroup v2, where delegated to you)')
    .option('--unmask <path>', 'do not mask or make read-only this /proc or /sys path, or ALL (repeatable)', collect, [])
    .option('--seccomp <profile>', 'seccomp: default, unconfined, or an OCI/Docker profile JSON file', 'default')
    .addOption(
      new Option('--no-new-privs [bool]', 'set no_new_privs (the default); --no-new-privs=false leaves it off').argParser((v) => {
        if (v !== 'true' && v !== 'false') throw new InvalidArgumentError('takes true or false, as in --no-new-privs=false');
        return v;
      }),
    )
    .addOption(new Option('-t, --tty', 'give the container a terminal (default: when stdin and stdout are terminals)'))
    .addOption(new Option('-T, --no-tty', 'never give the container a terminal'))
    .passThroughOptions()
    .action(async (image: string | undefined, command: string[], opts, cmd: Command) => {
      // The launcher main() started is for an attached run from an image (prelaunch); a
      // detached container's has other stdio, and an OCI bundle's is started by launch.
      if (opts.bundle || opts.detach) endEarlyLauncher();
      if (opts.bundle) {
        // runc's form, run --bundle DIR ID: an attached run keeps no state, so the id is only a name.
        if (command.length > 0) throw new UsageError('--bundle takes everything from config.json: give no image or command');
        process.exitCode = await more().runBundle(opts.bundle);
        return;
      }
      const root = (cmd.optsWithGlobals() as { root?: string }).root;
      process.exitCode = await runCommand([image, ...command].filter((a): a is string => a !== undefined), { ...opts, stateRoot: root });
    });
}
