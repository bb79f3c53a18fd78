/** One line per check: ok, FAIL (failover would not work as configured) or warn, and the fix. */
export type CheckStatus = 'ok' | 'FAIL' | 'warn';

export interface CheckResult {
  readonly status: CheckStatus;
  /** What was checked, e.g. "coordinator aws: signed GET /v1/status". */
  readonly check: string;
  readonly detail: string;
  /** What to do about it (FAIL and warn). */
  readonly fix?: string;
}

export const ok = (check: string, detail: string): CheckResult => ({ status: 'ok', check, detail });
export const fail = (check: string, detail: string, fix: string): CheckResult => ({ status: 'FAIL', check, detail, fix });
export const warn = (check: string, detail: string, fix: string): CheckResult => ({ status: 'warn', check, detail, fix });

export function formatCheck(r: CheckResult): string {
  return `${r.status.padEnd(4)} ${r.check}: ${r.detail}${r.fix ? `\n     fix: ${r.fix}` : ''}`;
}

/** An error's message without anything that could be a credential (the SDKs never put one there; URLs may carry a query). */
export const reason = (err: unknown): string => (err instanceof Error ? `${err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}` : String(err)).replace(/([?&][^=\s]*=)[^&\s]+/g, '$1…');
