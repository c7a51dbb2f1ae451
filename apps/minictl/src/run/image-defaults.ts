import type { ImageDefaults } from '@minictl/rootfs';

/**
 * The command a container runs: the image's Entrypoint + Cmd, where a command on the line
 * replaces Cmd and --entrypoint replaces Entrypoint and drops Cmd, as docker does
 * (--entrypoint '' clears it). Nothing at all: /bin/sh.
 */
export function commandFor(image: ImageDefaults | undefined, entrypoint: string | undefined, command: string[]): string[] {
  const ep = entrypoint !== undefined ? (entrypoint === '' ? [] : [entrypoint]) : (image?.entrypoint ?? []);
  const cmd = command.length > 0 ? command : entrypoint !== undefined ? [] : (image?.cmd ?? []);
  const args = [...ep, ...cmd];
  return args.length > 0 ? args : ['/bin/sh'];
}
