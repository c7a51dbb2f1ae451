import { CAP_NAMES, lastCap } from '@minictl/caps';
import { Op, type Step } from '@minictl/native';

/**
 * Credential experiments run in order just before exec (`minictl unshare`'s actions, after
 * the userns_child_exec example program of the user-namespace literature).
 */
export type CredAction =
  | { kind: 'capedit'; set: 'p' | 'e' | 'i' | 'b' | 'a'; op: '+' | '-'; mask: bigint; text: string }
  | { kind: 'capset'; permitted: bigint; effective: bigint; inheritable: bigint; text: string }
  | { kind: 'setresuid'; ids: [number, number, number] }
  | { kind: 'securebits'; bits: number }
  | { kind: 'show' }
  | { kind: 'sleep'; seconds: number };

const hex = (m: bigint) => m.toString(16);

export function actionSteps(actions: readonly CredAction[]): Step[] {
  return actions.map((a): Step => {
    switch (a.kind) {
      case 'capedit':
        return { op: Op.CAPEDIT, args: [a.set, a.op, hex(a.mask)], what: `capability edit ${a.text}` };
      case 'capset':
        return { op: Op.CAPSET, args: [a.permitted, a.effective, a.inheritable].map(hex), what: `set capabilities ${a.text}` };
      case 'setresuid':
        return { op: Op.SETRESUID, args: a.ids.map(String), what: `setresuid(${a.ids.join(', ')})` };
      case 'securebits':
        return { op: Op.SECUREBITS, args: [String(a.bits)], what: `set securebits 0x${a.bits.toString(16)}` };
      case 'show': {
        // The launcher prints with the names TypeScript knows, up to the kernel's last one.
        const names = Array.from({ length: lastCap() + 1 }, (_, n) => CAP_NAMES[n] ?? `cap_${n}`);
        return { op: Op.SHOWCREDS, args: names, what: 'display credentials' };
      }
      case 'sleep':
        return { op: Op.SLEEP, args: [String(a.seconds)], what: `sleep ${a.seconds}s` };
    }
  });
}
