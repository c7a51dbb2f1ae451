import type { ContainerSpec } from '../src/spec';

/** A valid spec, as `minictl run` would build it; `edit` changes what a test is about. */
export function makeSpec(edit: (s: ContainerSpec) => void = () => {}): ContainerSpec {
  const s: ContainerSpec = {
    ociVersion: '1.2.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/bin/sh', '-c', 'echo hi'],
      env: ['PATH=/usr/bin:/bin', 'HOME=/root'],
      cwd: '/work',
      noNewPrivileges: true,
    },
    root: { path: '/data/images/abc/rootfs', readonly: false },
    hostname: 'box',
    mounts: [],
    linux: {
      namespaces: [{ type: 'user' }, { type: 'mount' }, { type: 'pid' }, { type: 'uts' }, { type: 'ipc' }, { type: 'network' }],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
    },
    minictl: { init: true, rootMode: 'overlay', setgroups: 'deny', useIdHelpers: false },
  };
  edit(s);
  return s;
}
