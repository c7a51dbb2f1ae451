import { readUsernsSysctls, usernsBlocker } from './doctor/checks';
import { readSysctl } from './doctor/sysctl';

/**
 * Why the kernel refused to create a user namespace, with the setting to change. The same
 * judgement as `minictl doctor`'s user-namespace check (doctor/checks.ts), in one sentence.
 */
export function explainUsernsRefusal(errno: string | undefined, read = readSysctl): string | undefined {
  const b = usernsBlocker(readUsernsSysctls(read), errno);
  return b && `${b.sentence}: ${b.remedy}`;
}
