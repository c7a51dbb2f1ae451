import { ImageError } from './errors';

/** An OCI platform: os/architecture[/variant]. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Node's names for architectures, in the Go spelling OCI uses. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(arch: string = process.arch): Platform {
  return { os: 'linux', architecture: GO_ARCH[arch] ?? arch, variant: arch === 'arm' ? 'v7' : undefined };
}

/** `--platform os/arch[/variant]`, e.g. linux/arm64 or linux/arm/v7. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined || variant === '')
    throw new ImageError(`invalid --platform ${JSON.stringify(text)}: expected OS/ARCH[/VARIANT], e.g. linux/arm64`, 'platform');
  return { os, architecture, variant };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Whether an image for `have` runs as `want`; a variant given on one side only still matches. */
export function platformMatches(have: Partial<Platform>, want: Platform): boolean {
  return have.os === want.os && have.architecture === want.architecture && (!have.variant || !want.variant || have.variant === want.variant);
}
