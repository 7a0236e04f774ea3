import type { Command } from 'commander';
import type { CheckResult } from '@vectorizer/health';
import { runDoctorChecks, type Runtime } from '@vectorizer/runtime';
import { runCommand } from '../context';

const LABEL = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL' } as const;

export function formatCheck(result: CheckResult): string {
  const line = `${LABEL[result.status]}  ${result.name}: ${result.detail}`;
  return result.fix && result.status !== 'ok' ? `${line}\n      fix: ${result.fix}` : line;
}

/** Runs every check against the configured services; returns the exit code (1 when anything failed). */
export async function doctor(runtime: Runtime, opts: { json?: boolean }): Promise<number> {
  const report = await runDoctorChecks(runtime);
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const result of report.checks) process.stdout.write(`${formatCheck(result)}\n`);
    const counts = { ok: 0, warn: 0, fail: 0 };
    for (const result of report.checks) counts[result.status] += 1;
    process.stdout.write(`\n${counts.ok} ok, ${counts.warn} warning(s), ${counts.fail} failure(s)\n`);
  }
  return report.status === 'fail' ? 1 : 0;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check everything the pipeline needs — Redis (persistence, eviction policy), PostgreSQL, pgvector, schema and index, ' +
        'model files, execution provider, workers, stalled jobs, dead letters, embedding coverage — ' +
        'one OK/WARN/FAIL line each with the fix; exits 1 on any FAIL.',
    )
    .option('--json', 'print {status, checks:[{name,status,detail,fix}]} as JSON')
    .action((opts: { json?: boolean }) => runCommand('doctor', ({ runtime }) => doctor(runtime, opts)));
}
