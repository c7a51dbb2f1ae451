import { describe, expect, it } from 'vitest';
import { explainUsernsRefusal } from '../src/diagnose';

const MAX = 'user/max_user_namespaces';
const DEBIAN = 'kernel/unprivileged_userns_clone';
const APPARMOR = 'kernel/apparmor_restrict_unprivileged_userns';

/** A sysctl reader over fixed values; absent names read as undefined (no such file). */
const sysctls =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];

describe('explainUsernsRefusal', () => {
  it('names user.max_user_namespaces = 0', () => {
    expect(explainUsernsRefusal('EPERM', sysctls({ [MAX]: '0' }))).toBe(
      'user namespaces are disabled (user.max_user_namespaces = 0): run "sudo sysctl -w user.max_user_namespaces=28633"',
    );
  });

  it('reports a disabled limit before an ENOSPC', () => {
    expect(explainUsernsRefusal('ENOSPC', sysctls({ [MAX]: '0' }))).toMatch(/^user namespaces are disabled/);
  });

  it('explains ENOSPC as the limit being reached', () => {
    expect(explainUsernsRefusal('ENOSPC', sysctls({ [MAX]: '15000' }))).toBe(
      'the limit on user namespaces is reached (user.max_user_namespaces): raise it with "sudo sysctl -w user.max_user_namespaces=28633"',
    );
  });

  it("names Debian's kernel.unprivileged_userns_clone = 0", () => {
    expect(explainUsernsRefusal('EPERM', sysctls({ [MAX]: '15000', [DEBIAN]: '0' }))).toBe(
      'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0): run "sudo sysctl -w kernel.unprivileged_userns_clone=1"',
    );
  });

  it("names Ubuntu's AppArmor restriction", () => {
    expect(explainUsernsRefusal('EACCES', sysctls({ [MAX]: '15000', [DEBIAN]: '1', [APPARMOR]: '1' }))).toBe(
      'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1): add an AppArmor profile granting "userns," to minictl-launcher, or run "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"',
    );
  });

  it('prefers the Debian switch over AppArmor when both forbid', () => {
    expect(explainUsernsRefusal('EPERM', sysctls({ [DEBIAN]: '0', [APPARMOR]: '1' }))).toMatch(/kernel\.unprivileged_userns_clone = 0/);
  });

  it('has no explanation when every setting allows user namespaces', () => {
    expect(explainUsernsRefusal('EPERM', sysctls({ [MAX]: '15000', [DEBIAN]: '1', [APPARMOR]: '0' }))).toBeUndefined();
  });

  it('has no explanation when no sysctl can be read and the errno says nothing', () => {
    expect(explainUsernsRefusal(undefined, sysctls({}))).toBeUndefined();
    expect(explainUsernsRefusal('EPERM', sysctls({}))).toBeUndefined();
  });

  it('explains ENOSPC even when the limit cannot be read', () => {
    expect(explainUsernsRefusal('ENOSPC', sysctls({}))).toMatch(/^the limit on user namespaces is reached/);
  });

  it('reads the three sysctls by their /proc/sys names', () => {
    const asked: string[] = [];
    explainUsernsRefusal('EPERM', (name) => (asked.push(name), undefined));
    expect(asked).toEqual([MAX, DEBIAN, APPARMOR]);
  });
});
