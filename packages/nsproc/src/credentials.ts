import { maskOf, SECBITS } from '@minictl/caps';
import { Op, type Step } from '@minictl/native';
import { compile, type SeccompProfile } from '@minictl/seccomp';
import type { ContainerSpec } from './spec';

const hex = (m: bigint) => m.toString(16);

/**
 * The privilege steps, in the order DESIGN.md §4 requires so that nothing is regained at
 * exec: bounding set, securebits, groups and ids, capability sets, ambient set,
 * no_new_privs, then the seccomp filter. (The launcher restores the dumpable flag and the
 * death signal after them.) Without no_new_privs the kernel accepts a filter only from a
 * holder of CAP_SYS_ADMIN, so it goes first, while the capabilities are all there.
 */
export function credentialSteps(spec: ContainerSpec): Step[] {
  const p = spec.process;
  const caps = p.capabilities;
  const { uid, gid } = p.user;
  const seccomp = seccompSteps(spec);
  const steps: Step[] = p.noNewPrivileges ? [] : [...seccomp];
  if (caps) steps.push({ op: Op.BSET, args: [hex(maskOf(caps.bounding))], what: 'drop capabilities from the bounding set' });

  // Leaving uid 0 clears the permitted set unless KEEP_CAPS is on; it is cleared again at exec.
  const keepsCaps = caps !== undefined && uid !== 0 && [caps.permitted, caps.effective, caps.inheritable, caps.ambient].some((s) => s.length > 0);
  const bits = (spec.minictl.securebits ?? 0) | (keepsCaps ? SECBITS.KEEP_CAPS : 0);
  if (spec.minictl.securebits !== undefined || keepsCaps)
    steps.push({ op: Op.SECUREBITS, args: [String(bits)], what: `set securebits 0x${bits.toString(16)}` });

  if (spec.minictl.setgroups === 'allow') {
    const groups = p.user.additionalGids ?? [];
    steps.push({ op: Op.SETGROUPS, args: groups.map(String), what: `set supplementary groups [${groups.join(',')}]` });
  }
  steps.push(
    { op: Op.SETRESGID, args: [gid, gid, gid].map(String), what: `set gid ${gid}` },
    { op: Op.SETRESUID, args: [uid, uid, uid].map(String), what: `set uid ${uid}` },
  );
  if (caps) {
    steps.push(
      {
        op: Op.CAPSET,
        args: [caps.permitted, caps.effective, caps.inheritable].map((s) => hex(maskOf(s))),
        what: 'set the permitted, effective and inheritable capabilities',
      },
      { op: Op.AMBIENT, args: [hex(maskOf(caps.ambient))], what: 'set the ambient capabilities' },
    );
  }
  if (p.noNewPrivileges) steps.push({ op: Op.NNP, args: [], what: 'set no_new_privs' }, ...seccomp);
  return steps;
}

function seccompSteps(spec: ContainerSpec): Step[] {
  const profile = spec.linux.seccomp;
  if (!profile) return [];
  return [{ op: Op.SECCOMP, args: [seccompFilterHex(profile)], what: 'install the seccomp filter' }];
}

const compiled = new WeakMap<SeccompProfile, string>();

/** The profile's filter for the launcher, compiled once per profile object (the default
 * profile is one object, compiled ahead into minictl's start-up snapshot). */
export function seccompFilterHex(profile: SeccompProfile): string {
  let hex = compiled.get(profile);
  if (hex === undefined) compiled.set(profile, (hex = compile(profile).toString('hex')));
  return hex;
}
