import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { explainUsernsRefusal } from '../src/diagnose';
import { canRun, runChecks, usernsBlocker, type HostFacts, type NamespaceProbe } from '../src/doctor/checks';
import { formatCheck, formatReport, registerDoctor, runDoctor } from '../src/doctor/command';

const LAUNCHER = '/opt/minictl/native/build/Release/minictl-launcher';
const SCOPE = '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/minictl.scope';

/** A host where everything works; each test changes the one fact it is about. */
function healthy(): HostFacts {
  return {
    kernel: '6.8.0-45-generic',
    user: { name: 'alice', uid: 1000, hostRoot: false },
    sysctl: { maxUserNamespaces: '63336', apparmorRestrict: '0' },
    launcher: LAUNCHER,
    helpers: {
      newuidmap: { path: '/usr/bin/newuidmap', usable: true },
      newgidmap: { path: '/usr/bin/newgidmap', usable: true },
    },
    subuid: { ranges: [{ start: 100000, count: 65536 }] },
    subgid: { ranges: [{ start: 100000, count: 65536 }] },
    freeSubId: 165536,
    probe: { result: 'ok' },
    pasta: '/usr/bin/pasta',
    tun: { exists: true, charDevice: true, mode: 0o20666, accessible: true },
    cgroup: {
      v2: true,
      v1: false,
      mountPoint: '/sys/fs/cgroup',
      dir: SCOPE,
      writable: true,
      subtreeControlWritable: true,
      controllers: ['cpu', 'io', 'memory', 'pids'],
    },
  };
}

type Patch = { [K in keyof HostFacts]?: HostFacts[K] extends object ? Partial<HostFacts[K]> : HostFacts[K] };

function facts(patch: Patch = {}): HostFacts {
  const f = healthy() as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    const base = f[k];
    f[k] = base && typeof base === 'object' && !Array.isArray(base) && k !== 'probe' ? { ...base, ...(v as object) } : v;
  }
  return f as unknown as HostFacts;
}

/** The printed line (and indented detail) of one check on a simulated host. */
function line(f: HostFacts, id: string): string {
  const c = runChecks(f).find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return formatCheck(c);
}

const refused = (errno: string, step = 'create the namespaces (clone)'): NamespaceProbe => ({ result: 'failed', stage: 'userns', step, errno });

describe('doctor on a healthy host', () => {
  it('prints one ok line per check and exits 0', async () => {
    let out = '';
    const code = await runDoctor({}, { gather: async () => healthy(), write: (t) => (out += t) });
    expect(out).toBe(
      [
        'ok    kernel: Linux 6.8.0-45-generic',
        'ok    user: alice (uid 1000)',
        'ok    user namespaces: allowed (user.max_user_namespaces = 63336)',
        'ok    newuidmap: /usr/bin/newuidmap is setuid root',
        'ok    newgidmap: /usr/bin/newgidmap is setuid root',
        'ok    subuid: alice has uids 100000-165535 and gids 100000-165535',
        'ok    overlay: mounts in a user namespace (userxattr)',
        'ok    pasta: /usr/bin/pasta (--network pasta, -p)',
        'ok    /dev/net/tun: usable (crw-rw-rw-)',
        `ok    cgroups: delegated: ${SCOPE} (controllers: cpu io memory pids)`,
        '',
      ].join('\n'),
    );
    expect(code).toBe(0);
  });
});

describe('kernel', () => {
  it('fails on 5.4: no openat2, no CLOSE_RANGE_CLOEXEC', () => {
    expect(line(facts({ kernel: '5.4.0-150-generic' }), 'kernel')).toBe(
      'fail  kernel: Linux 5.4.0-150-generic is too old: minictl run needs 5.11 (openat2 (safe image extraction) from 5.6, close_range with CLOSE_RANGE_CLOEXEC (the launcher, before exec) from 5.11); upgrade to Linux 5.12 or later',
    );
  });

  it('fails on 5.10: the launcher needs close_range with CLOSE_RANGE_CLOEXEC (5.11)', () => {
    expect(line(facts({ kernel: '5.10.0-28-amd64' }), 'kernel')).toBe(
      'fail  kernel: Linux 5.10.0-28-amd64 is too old: minictl run needs 5.11 (close_range with CLOSE_RANGE_CLOEXEC (the launcher, before exec) from 5.11); upgrade to Linux 5.12 or later',
    );
  });

  it('fails below 5.2 too, naming the new mount API', () => {
    expect(line(facts({ kernel: '4.19.0' }), 'kernel')).toMatch(/^fail  kernel: Linux 4\.19\.0 is too old: .*the new mount API \(fsopen, move_mount\) from 5\.2, /);
  });

  it('warns on 5.11: read-only mounts need mount_setattr (5.12)', () => {
    expect(line(facts({ kernel: '5.11.0-49-generic' }), 'kernel')).toBe(
      'warn  kernel: Linux 5.11.0-49-generic lacks mount_setattr (--read-only and read-only volumes) from 5.12; upgrade to Linux 5.12 or later',
    );
  });

  it('is ok on 5.12 and 6.x', () => {
    expect(line(facts({ kernel: '5.12.0' }), 'kernel')).toBe('ok    kernel: Linux 5.12.0');
    expect(line(facts({ kernel: '6.18.44-fc-v769' }), 'kernel')).toBe('ok    kernel: Linux 6.18.44-fc-v769');
  });

  it('warns when the release cannot be parsed', () => {
    expect(line(facts({ kernel: 'weird' }), 'kernel')).toBe(
      'warn  kernel: cannot tell the version of "weird"; minictl needs Linux 5.11 or later (5.12 for every feature)',
    );
  });
});

describe('user', () => {
  it('fails for host root, whom minictl run refuses', () => {
    expect(line(facts({ user: { name: 'root', uid: 0, hostRoot: true } }), 'user')).toBe(
      'fail  user: running as root: minictl run refuses to run as host root (container root would be host root); run minictl, and this check, as the ordinary user who will run containers',
    );
  });

  it('is ok for root inside a user namespace', () => {
    expect(line(facts({ user: { name: 'root', uid: 0, hostRoot: false } }), 'user')).toBe('ok    user: root (uid 0)');
  });
});

describe('user namespaces', () => {
  it('fails when user.max_user_namespaces = 0', () => {
    expect(line(facts({ sysctl: { maxUserNamespaces: '0' }, probe: refused('ENOSPC') }), 'userns')).toBe(
      'fail  user namespaces: disabled (user.max_user_namespaces = 0); run "sudo sysctl -w user.max_user_namespaces=28633"',
    );
  });

  it('fails when the limit is reached, suggesting a higher one', () => {
    expect(line(facts({ sysctl: { maxUserNamespaces: '63336' }, probe: refused('ENOSPC') }), 'userns')).toBe(
      'fail  user namespaces: the limit is reached (user.max_user_namespaces = 63336); raise it with "sudo sysctl -w user.max_user_namespaces=126672"',
    );
  });

  it('fails when kernel.unprivileged_userns_clone = 0 (Debian)', () => {
    expect(line(facts({ sysctl: { unprivilegedUsernsClone: '0' }, probe: refused('EPERM') }), 'userns')).toBe(
      'fail  user namespaces: disabled for unprivileged users (kernel.unprivileged_userns_clone = 0); run "sudo sysctl -w kernel.unprivileged_userns_clone=1"',
    );
  });

  it('fails under the AppArmor restriction (Ubuntu 24.04), with the profile to install', () => {
    const f = facts({ sysctl: { apparmorRestrict: '1' }, probe: refused('EACCES') });
    expect(line(f, 'userns')).toBe(
      [
        'fail  user namespaces: restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1); install the profile below as /etc/apparmor.d/minictl and load it with "sudo apparmor_parser -r /etc/apparmor.d/minictl", or allow every program: "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"',
        '        abi <abi/4.0>,',
        '        include <tunables/global>',
        '',
        `        profile minictl ${LAUNCHER} flags=(unconfined) {`,
        '          userns,',
        '',
        '          include if exists <local/minictl>',
        '        }',
      ].join('\n'),
    );
  });

  it('quotes a launcher path with spaces in the AppArmor profile', () => {
    const c = runChecks(facts({ launcher: '/home/al ice/minictl-launcher', sysctl: { apparmorRestrict: '1' }, probe: refused('EACCES') }))[2];
    expect(c.detail).toContain('profile minictl "/home/al ice/minictl-launcher" flags=(unconfined) {');
  });

  it('is ok under the AppArmor restriction when a profile already lets the launcher in', () => {
    expect(line(facts({ sysctl: { maxUserNamespaces: '63336', apparmorRestrict: '1' } }), 'userns')).toBe(
      'ok    user namespaces: allowed (user.max_user_namespaces = 63336); AppArmor restricts them, and a profile lets the launcher create them',
    );
  });

  it('warns when only root may create them (probe run as root)', () => {
    const f = facts({ user: { name: 'root', uid: 0, hostRoot: true }, sysctl: { unprivilegedUsernsClone: '0' } });
    expect(line(f, 'userns')).toBe(
      'warn  user namespaces: allowed for root only: disabled for unprivileged users (kernel.unprivileged_userns_clone = 0); run "sudo sysctl -w kernel.unprivileged_userns_clone=1"',
    );
  });

  it('fails with the errno when no sysctl explains the refusal', () => {
    expect(line(facts({ sysctl: {}, probe: refused('EPERM') }), 'userns')).toBe(
      'fail  user namespaces: the kernel refused to create one (create the namespaces (clone): EPERM); no sysctl forbids them here: a seccomp filter or an enclosing container may (docker: --security-opt seccomp=unconfined), or a security module (see "sudo dmesg")',
    );
  });

  it('counts a refused id map as a refused user namespace', () => {
    expect(line(facts({ sysctl: {}, probe: refused('EPERM', 'write /proc/42/uid_map') }), 'userns')).toMatch(
      /^fail  user namespaces: the kernel refused to create one \(write \/proc\/42\/uid_map: EPERM\); /,
    );
  });

  it('fails when a mount step before the overlay is refused', () => {
    const probe: NamespaceProbe = { result: 'failed', stage: 'setup', step: 'make / recursively private', errno: 'EPERM' };
    expect(line(facts({ probe }), 'userns')).toBe(
      'fail  user namespaces: created, but the test container failed at "make / recursively private" (EPERM), which minictl run needs too; a mount namespace must allow a private / and a tmpfs: report this with the output of "minictl doctor --json"',
    );
  });

  it('fails when the launcher cannot exec on a kernel without CLOSE_RANGE_CLOEXEC', () => {
    const probe: NamespaceProbe = { result: 'failed', stage: 'exec', step: 'execute /bin/true', errno: 'EINVAL' };
    expect(line(facts({ kernel: '5.10.0', probe }), 'userns')).toBe(
      'fail  user namespaces: created, but the launcher could not execute a command in it (execute /bin/true: EINVAL); upgrade to Linux 5.11 or later (the launcher closes inherited fds with close_range CLOSE_RANGE_CLOEXEC)',
    );
  });

  it('fails when the launcher cannot be run, unless a sysctl already explains', () => {
    const probe: NamespaceProbe = { result: 'not-run', reason: `cannot run the launcher ${LAUNCHER}: ENOENT`, errno: 'ENOENT' };
    expect(line(facts({ probe }), 'userns')).toBe(
      `fail  user namespaces: not tested: cannot run the launcher ${LAUNCHER}: ENOENT; build minictl so that its launcher exists and is executable ("npx nx run-many -t build" in the repository)`,
    );
    expect(line(facts({ probe, sysctl: { maxUserNamespaces: '0' } }), 'userns')).toMatch(/^fail  user namespaces: disabled \(user\.max_user_namespaces = 0\)/);
  });

  it('speaks with the voice of the failed-run explanation (diagnose.ts)', () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'user/max_user_namespaces': '0' }, 'EPERM'],
      [{ 'user/max_user_namespaces': '100' }, 'ENOSPC'],
      [{ 'kernel/unprivileged_userns_clone': '0' }, 'EPERM'],
      [{ 'kernel/apparmor_restrict_unprivileged_userns': '1' }, 'EACCES'],
    ];
    for (const [values, errno] of cases) {
      const b = usernsBlocker(
        {
          maxUserNamespaces: values['user/max_user_namespaces'],
          unprivilegedUsernsClone: values['kernel/unprivileged_userns_clone'],
          apparmorRestrict: values['kernel/apparmor_restrict_unprivileged_userns'],
        },
        errno,
      )!;
      expect(explainUsernsRefusal(errno, (n) => values[n])).toBe(`${b.sentence}: ${b.remedy}`);
      if (b.kind !== 'apparmor') {
        const f = facts({ sysctl: { maxUserNamespaces: values['user/max_user_namespaces'], unprivilegedUsernsClone: values['kernel/unprivileged_userns_clone'] }, probe: refused(errno) });
        expect(runChecks(f)[2].remedy).toBe(b.remedy);
      }
    }
  });
});

describe('newuidmap and newgidmap', () => {
  it('warn when missing', () => {
    const f = facts({ helpers: { newuidmap: { usable: false, reason: 'x' }, newgidmap: { usable: false, reason: 'x' } } });
    expect(line(f, 'newuidmap')).toBe(
      'warn  newuidmap: not found: subordinate uid ranges cannot be mapped; install the "uidmap" package ("sudo apt-get install uidmap"; shadow-utils on Fedora)',
    );
    expect(line(f, 'newgidmap')).toBe(
      'warn  newgidmap: not found: subordinate gid ranges cannot be mapped; install the "uidmap" package ("sudo apt-get install uidmap"; shadow-utils on Fedora)',
    );
  });

  it('warn when not setuid root', () => {
    const f = facts({ helpers: { newuidmap: { path: '/usr/bin/newuidmap', usable: false, reason: 'x' } } });
    expect(line(f, 'newuidmap')).toBe(
      'warn  newuidmap: /usr/bin/newuidmap is not setuid root: subordinate uid ranges cannot be mapped; reinstall the "uidmap" package ("sudo apt-get install --reinstall uidmap"), or run "sudo chown root:root /usr/bin/newuidmap && sudo chmod u+s /usr/bin/newuidmap"',
    );
    expect(line(f, 'newgidmap')).toBe('ok    newgidmap: /usr/bin/newgidmap is setuid root');
  });
});

describe('subuid and subgid', () => {
  it('warns when the user has no range, with the line to add', () => {
    expect(line(facts({ subuid: { ranges: [] }, subgid: { ranges: [] }, freeSubId: 100000 }), 'subuid')).toBe(
      'warn  subuid: no range for alice in /etc/subuid or /etc/subgid: containers can map only your own ids; add "alice:100000:65536" to /etc/subuid and /etc/subgid (sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice)',
    );
  });

  it('suggests a range after the ones already granted', () => {
    expect(line(facts({ subuid: { ranges: [] }, subgid: { ranges: [] }, freeSubId: 231072 }), 'subuid')).toContain(
      'add "alice:231072:65536" to /etc/subuid and /etc/subgid (sudo usermod --add-subuids 231072-296607 --add-subgids 231072-296607 alice)',
    );
  });

  it('names the one file that lacks a range', () => {
    expect(line(facts({ subgid: { ranges: [] }, freeSubId: 165536 }), 'subuid')).toBe(
      'warn  subuid: no range for alice in /etc/subgid (/etc/subuid grants 100000-165535): containers can map only your own ids; add "alice:165536:65536" to /etc/subgid (sudo usermod --add-subgids 165536-231071 alice)',
    );
  });

  it('warns about a range smaller than 65536', () => {
    expect(line(facts({ subuid: { ranges: [{ start: 100000, count: 1000 }] } }), 'subuid')).toBe(
      'warn  subuid: alice has uids 100000-100999 and gids 100000-165535: fewer than 65536 uids, so not every id of an image can be mapped; grant a full range instead: "alice:165536:65536" in /etc/subuid and /etc/subgid',
    );
  });

  it('warns when a file cannot be read', () => {
    expect(line(facts({ subuid: { ranges: [], error: 'EACCES' } }), 'subuid')).toBe(
      'warn  subuid: cannot read /etc/subuid (EACCES): no subordinate uids; make it readable: "sudo chmod 0644 /etc/subuid"',
    );
  });
});

describe('overlay', () => {
  it('warns when the overlay mount fails with EINVAL: runs copy the image', () => {
    const probe: NamespaceProbe = { result: 'failed', stage: 'overlay', step: 'mount overlay (userxattr)', errno: 'EINVAL' };
    expect(line(facts({ probe }), 'overlay')).toBe(
      'warn  overlay: cannot mount in a user namespace (EINVAL): each run copies the image instead; nothing is needed for runs; "sudo dmesg | grep overlayfs" may say why the kernel refused',
    );
    // The user namespace itself was fine.
    expect(line(facts({ probe }), 'userns')).toBe('ok    user namespaces: allowed (user.max_user_namespaces = 63336)');
    expect(canRun(runChecks(facts({ probe })))).toBe(true);
  });

  it('names the module when overlayfs is missing (ENODEV)', () => {
    const probe: NamespaceProbe = { result: 'failed', stage: 'overlay', step: 'mount overlay (userxattr)', errno: 'ENODEV' };
    expect(line(facts({ probe }), 'overlay')).toBe(
      'warn  overlay: cannot mount in a user namespace (ENODEV): each run copies the image instead; load the overlay module: "sudo modprobe overlay"',
    );
  });

  it('warns when a stale marker forces copies although overlay works', () => {
    expect(line(facts({ noOverlayMarker: '/home/alice/.local/share/minictl/no-overlay' }), 'overlay')).toBe(
      'warn  overlay: mounts in a user namespace, but /home/alice/.local/share/minictl/no-overlay (left by an earlier failure) makes runs copy the image instead; rm /home/alice/.local/share/minictl/no-overlay',
    );
  });

  it('is not tested without a user namespace', () => {
    expect(line(facts({ sysctl: { maxUserNamespaces: '0' }, probe: refused('ENOSPC') }), 'overlay')).toBe(
      'warn  overlay: not tested: no test container could be started (see user namespaces)',
    );
  });
});

describe('pasta', () => {
  it('warns when it is not installed: only user-mode networking needs it', () => {
    const f = facts();
    delete f.pasta;
    expect(line(f, 'pasta')).toBe('warn  pasta: not installed: --network pasta and -p are unavailable; install the "passt" package (apt-get install passt)');
    expect(canRun(runChecks(f))).toBe(true);
  });
});

describe('/dev/net/tun', () => {
  it('warns when missing', () => {
    expect(line(facts({ tun: { exists: false, charDevice: false, mode: undefined, accessible: false } }), 'tun')).toBe(
      'warn  /dev/net/tun: missing: no user-mode networking (pasta); load the tun module: "sudo modprobe tun" (in a container, pass the device in: --device /dev/net/tun)',
    );
  });

  it('warns when the user may not open it', () => {
    expect(line(facts({ tun: { mode: 0o20600, accessible: false } }), 'tun')).toBe(
      'warn  /dev/net/tun: not readable and writable by alice (crw-------): no user-mode networking (pasta); run "sudo chmod 0666 /dev/net/tun" (its usual mode; a udev rule KERNEL=="tun", MODE="0666" keeps it)',
    );
  });

  it('warns when it is not a character device', () => {
    expect(line(facts({ tun: { charDevice: false, mode: 0o100644 } }), 'tun')).toBe(
      'warn  /dev/net/tun: not a character device (-rw-r--r--): no user-mode networking (pasta); recreate it: "sudo rm /dev/net/tun && sudo mknod -m 0666 /dev/net/tun c 10 200"',
    );
  });
});

describe('cgroups', () => {
  const v1only = { v2: false, v1: true, mountPoint: undefined, dir: undefined, writable: false, subtreeControlWritable: false, controllers: [] };

  it('warns on cgroup v1 only', () => {
    expect(line(facts({ cgroup: v1only }), 'cgroup')).toBe(
      'warn  cgroups: cgroup v1 only: --memory and --pids-limit are unavailable; boot with cgroup v2 only: add "systemd.unified_cgroup_hierarchy=1" to the kernel command line',
    );
  });

  it('warns on the hybrid layout, whose v2 hierarchy has no controllers', () => {
    const cgroup = { v2: true, v1: true, mountPoint: '/sys/fs/cgroup/unified', dir: '/sys/fs/cgroup/unified/user.slice', writable: false, controllers: [] };
    expect(line(facts({ cgroup }), 'cgroup')).toBe(
      'warn  cgroups: hybrid layout: the cgroup v2 hierarchy at /sys/fs/cgroup/unified has no memory or pids controller: --memory and --pids-limit are unavailable; boot with cgroup v2 only: add "systemd.unified_cgroup_hierarchy=1" to the kernel command line',
    );
  });

  it('warns on cgroup v2 without delegation', () => {
    const dir = '/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope';
    expect(line(facts({ cgroup: { dir, writable: false, subtreeControlWritable: false } }), 'cgroup')).toBe(
      `warn  cgroups: not delegated: ${dir} is not writable by alice: --memory and --pids-limit are unavailable; run minictl in a delegated scope ("systemd-run --user --scope -p Delegate=yes minictl ...")`,
    );
    expect(line(facts({ cgroup: { dir, subtreeControlWritable: false } }), 'cgroup')).toBe(
      `warn  cgroups: not delegated: ${dir}/cgroup.subtree_control is not writable by alice: --memory and --pids-limit are unavailable; run minictl in a delegated scope ("systemd-run --user --scope -p Delegate=yes minictl ...")`,
    );
  });

  it('warns when delegated without the memory controller', () => {
    expect(line(facts({ cgroup: { controllers: ['cpu', 'pids'] } }), 'cgroup')).toBe(
      `warn  cgroups: delegated (${SCOPE}), but without the memory controller: --memory is unavailable; delegate it: "sudo systemctl edit user@.service", add "Delegate=cpu io memory pids" under [Service], and log in again`,
    );
  });

  it('is ok on cgroup v2 with delegation', () => {
    expect(line(facts(), 'cgroup')).toBe(`ok    cgroups: delegated: ${SCOPE} (controllers: cpu io memory pids)`);
  });
});

describe('report, JSON and exit status', () => {
  const broken = () =>
    facts({
      sysctl: { maxUserNamespaces: '0' },
      probe: refused('ENOSPC'),
      tun: { exists: false, charDevice: false, mode: undefined, accessible: false },
    });

  it('exits 1 when a check fails, 0 when there are only warnings', async () => {
    const quiet = { write: () => {} };
    expect(await runDoctor({}, { ...quiet, gather: async () => broken() })).toBe(1);
    expect(await runDoctor({}, { ...quiet, gather: async () => facts({ tun: { accessible: false } }) })).toBe(0);
    expect(await runDoctor({ json: true }, { ...quiet, gather: async () => broken() })).toBe(1);
  });

  it('prints { checks, canRun } as JSON', async () => {
    let out = '';
    await runDoctor({ json: true }, { gather: async () => broken(), write: (t) => (out += t) });
    const doc = JSON.parse(out) as { checks: Record<string, unknown>[]; canRun: boolean };
    expect(Object.keys(doc)).toEqual(['checks', 'canRun']);
    expect(doc.canRun).toBe(false);
    expect(doc.checks.map((c) => c.id)).toEqual(['kernel', 'user', 'userns', 'newuidmap', 'newgidmap', 'subuid', 'overlay', 'pasta', 'tun', 'cgroup']);
    expect(doc.checks[2]).toEqual({
      id: 'userns',
      status: 'fail',
      summary: 'disabled (user.max_user_namespaces = 0)',
      remedy: 'run "sudo sysctl -w user.max_user_namespaces=28633"',
    });
    expect(doc.checks[0]).toEqual({ id: 'kernel', status: 'ok', summary: 'Linux 6.8.0-45-generic' });
    for (const c of doc.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(typeof c.summary).toBe('string');
      expect(Object.keys(c).every((k) => ['id', 'status', 'summary', 'remedy', 'detail'].includes(k))).toBe(true);
    }
  });

  it('carries the AppArmor profile as detail in JSON', () => {
    const checks = runChecks(facts({ sysctl: { apparmorRestrict: '1' }, probe: refused('EACCES') }));
    const doc = JSON.parse(formatReport(checks, true)) as { checks: { id: string; detail?: string }[] };
    expect(doc.checks.find((c) => c.id === 'userns')!.detail).toBe(
      `abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile minictl ${LAUNCHER} flags=(unconfined) {\n  userns,\n\n  include if exists <local/minictl>\n}`,
    );
  });

  it('puts every remedy on its line: one line per check without AppArmor detail', () => {
    const text = formatReport(runChecks(broken()), false);
    expect(text.trimEnd().split('\n')).toHaveLength(10);
  });

  describe('as a command', () => {
    afterEach(() => {
      process.exitCode = undefined;
    });

    it('registers `minictl doctor --json` and sets the exit status', async () => {
      let out = '';
      const program = new Command('minictl').exitOverride();
      registerDoctor(program, { gather: async () => broken(), write: (t) => (out += t) });
      await program.parseAsync(['node', 'minictl', 'doctor', '--json']);
      expect(process.exitCode).toBe(1);
      expect((JSON.parse(out) as { canRun: boolean }).canRun).toBe(false);
    });

    it('exits 0 on a healthy host', async () => {
      const program = new Command('minictl').exitOverride();
      registerDoctor(program, { gather: async () => healthy(), write: () => {} });
      await program.parseAsync(['node', 'minictl', 'doctor']);
      expect(process.exitCode).toBe(0);
    });
  });
});
