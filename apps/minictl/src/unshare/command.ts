import type { Command } from 'commander';
import type { CredAction, NamespaceType } from '@minictl/nsproc';
import { collect } from '../options';
import { capEdit, capSet, raiseAmbient, raiseInheritable, setResUid, setSecurebits, setUid, sleepFor } from './actions';
import { unshareCommand } from './unshare';

const NAMESPACE_FLAGS: [string, NamespaceType, string][] = [
  ['-C', 'cgroup', 'new cgroup namespace'],
  ['-i', 'ipc', 'new IPC namespace'],
  ['-m', 'mount', 'new mount namespace'],
  ['-n', 'network', 'new network namespace (lo up)'],
  ['-p', 'pid', 'new PID namespace (the command is pid 1)'],
  ['-u', 'uts', 'new UTS namespace'],
];

/**
 * `minictl unshare`: the fakeroot mode (a user and a mount namespace, root inside, the
 * caller's filesystem and directory), which also speaks the options of the userns_child_exec
 * example program, so the user-namespace literature's experiments run unchanged.
 */
export function registerUnshare(program: Command): void {
  const actions: CredAction[] = [];
  const namespaces: NamespaceType[] = [];
  const cmd = program
    .command('unshare')
    .description('run a command as root in new namespaces, in place (fakeroot packaging, capability experiments)')
    .argument('[command...]', "command and arguments (default: the user's shell)")
    .option('--userns <mode>', 'id mapping: auto (default), root, subuid or keep-id')
    .option('--uidmap <map>', 'uid map "ID-inside ID-outside length[,...]"')
    .option('--gidmap <map>', 'gid map, same syntax')
    .option('--setgroups <allow|deny>', 'whether setgroups(2) is allowed inside');
  for (const [flag, type, help] of NAMESPACE_FLAGS) cmd.option(flag, help).on(`option:${flag.slice(1)}`, () => namespaces.push(type));
  cmd
    .option('-U', 'new user namespace (always)')
    .option('-M <map>', 'uid map (as --uidmap)', collect, [])
    .option('-G <map>', 'gid map (as --gidmap)', collect, [])
    .option('-P <map>', 'project id map')
    .option('-r', 'map only root (as --userns root)')
    .option('-D', 'do not write "deny" to setgroups (as --setgroups allow)')
    .option('-v', 'say what is being done')
    // Actions run in the order given, just before exec.
    .option('-I', 'raise all inheritable capabilities')
    .option('-A', 'raise all inheritable and ambient capabilities')
    .option('-s <uid>', 'setuid(UID)')
    .option('-S <ruid,euid,suid>', 'setresuid(R, E, S)')
    .option('-b <bits>', 'set securebits (letters rRsSkKaA or a number)')
    .option('-d', 'display ids, groups, securebits and capabilities')
    .option('-w <secs>', 'sleep SECS seconds')
    .option('-x <captext>', 'set capabilities from cap_from_text(3) text')
    .option('-X <edit>', 'edit one set: [peiba]{+|-}CAP (b: drop only)')
    .passThroughOptions();
  const push = (flag: string, make: (v: string) => CredAction | CredAction[]) =>
    cmd.on(`option:${flag}`, (v: string) => actions.push(...[make(v)].flat()));
  push('I', () => raiseInheritable());
  push('A', () => raiseAmbient());
  push('s', setUid);
  push('S', setResUid);
  push('b', setSecurebits);
  push('d', () => ({ kind: 'show' }));
  push('w', sleepFor);
  push('x', capSet);
  push('X', capEdit);
  cmd.action(async (command: string[], opts) => {
    process.exitCode = await unshareCommand(command, { ...opts, namespaces, actions });
  });
}
