import * as fs from 'node:fs';

/** Why the kernel refused to create a user namespace, with the setting to change. */
export function explainUsernsRefusal(errno: string | undefined, read = readSysctl): string | undefined {
  const max = read('user/max_user_namespaces');
  if (max === '0' || errno === 'ENOSPC')
    return max === '0'
      ? 'user namespaces are disabled (user.max_user_namespaces = 0): run "sudo sysctl -w user.max_user_namespaces=28633"'
      : 'the limit on user namespaces is reached (user.max_user_namespaces): raise it with "sudo sysctl -w user.max_user_namespaces=28633"';
  if (read('kernel/unprivileged_userns_clone') === '0')
    return 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): run "sudo sysctl -w kernel.unprivileged_userns_clone=1"';
  if (read('kernel/apparmor_restrict_unprivileged_userns') === '1')
    return 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1): add an AppArmor profile granting "userns," to minictl-launcher, or run "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"';
  return undefined;
}

function readSysctl(name: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/sys/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
