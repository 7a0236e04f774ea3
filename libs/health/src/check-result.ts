/**
 * One line of a health report. `fix` says what an operator should do when the status is not ok,
 * so `vectorizer doctor` and /readyz read like the incident checklist they replace.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });

const severity: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

/** The worst status of a report; an empty report is ok. */
export function worstStatus(results: readonly CheckResult[]): CheckStatus {
  return results.reduce<CheckStatus>((worst, r) => (severity[r.status] > severity[worst] ? r.status : worst), 'ok');
}
