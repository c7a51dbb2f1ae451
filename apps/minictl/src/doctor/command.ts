import type { Command } from 'commander';
import { canRun, CHECK_LABELS, runChecks, type CheckResult, type HostFacts } from './checks';
import { gatherFacts } from './probe';

export interface DoctorOptions {
  json?: boolean;
}

export interface DoctorDeps {
  /** the host's facts (the real probe by default; the tests simulate them) */
  gather?: () => Promise<HostFacts>;
  write?: (text: string) => void;
}

/** One line per check: status, name, summary, then "; remedy"; a detail follows, indented. */
export function formatCheck(c: CheckResult): string {
  const line = `${c.status.padEnd(6)}${CHECK_LABELS[c.id]}: ${c.summary}${c.remedy ? `; ${c.remedy}` : ''}`;
  if (!c.detail) return line;
  return [line, ...c.detail.split('\n').map((l) => (l ? `        ${l}` : ''))].join('\n');
}

export function formatReport(checks: readonly CheckResult[], json: boolean): string {
  if (json) return `${JSON.stringify({ checks, canRun: canRun(checks) }, null, 2)}\n`;
  return `${checks.map(formatCheck).join('\n')}\n`;
}

/** `minictl doctor`: prints the checks; the exit status is 1 when minictl run cannot work here. */
export async function runDoctor(opts: DoctorOptions, deps: DoctorDeps = {}): Promise<number> {
  const facts = await (deps.gather ?? gatherFacts)();
  const checks = runChecks(facts);
  (deps.write ?? ((t: string) => process.stdout.write(t)))(formatReport(checks, opts.json ?? false));
  return canRun(checks) ? 0 : 1;
}

export function registerDoctor(program: Command, deps: DoctorDeps = {}): void {
  program
    .command('doctor')
    .description('check that this host can run rootless containers, with the remedy for each problem')
    .option('--json', 'print the checks as JSON: { "checks": [...], "canRun": boolean }')
    .action(async (opts: DoctorOptions) => {
      process.exitCode = await runDoctor(opts, deps);
    });
}
