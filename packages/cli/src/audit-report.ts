import { SEVERITIES, severityRank, type Finding, type Severity } from './audit-findings.js';
import type { AuditScope } from './audit.js';
import { escapeForTerminal, escapeLines } from './terminal.js';

/** `--json`'s `summary`: stable, documented in docs/cli.md. */
export interface AuditSummary {
  total: number;
  bySeverity: Record<Severity, number>;
  failOn: Severity;
  /** Whether a finding is at or above `failOn`: then the exit code is 1. */
  failed: boolean;
  checked: AuditScope;
}

/** Most severe first; within a severity, in the order found. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

export function summarize(findings: readonly Finding[], failOn: Severity, checked: AuditScope): AuditSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, findings.filter((item) => item.severity === severity).length])) as Record<Severity, number>;
  return { total: findings.length, bySeverity, failOn, failed: findings.some((item) => severityRank(item.severity) >= severityRank(failOn)), checked };
}

export function auditJson(findings: readonly Finding[], summary: AuditSummary): string {
  // As inspect --json: C1, bidi and separators become \uXXXX too (still valid JSON).
  return `${escapeLines(JSON.stringify({ findings, summary }, null, 2))}\n`;
}

export function auditText(findings: readonly Finding[], summary: AuditSummary): string {
  const counts = [...SEVERITIES].reverse().filter((severity) => summary.bySeverity[severity] > 0).map((severity) => `${summary.bySeverity[severity]} ${severity}`);
  const checked = [summary.checked.discovery && `discovery ${summary.checked.discovery}`, summary.checked.jwks && `JWKS ${summary.checked.jwks}`, `${summary.checked.tokens} token(s)`].filter(Boolean).join(', ');
  const lines = [
    `audit: ${checked}`,
    findings.length === 0 ? '✔ no findings' : `${summary.failed ? '✘' : '✔'} ${summary.total} finding(s): ${counts.join(', ')} (--fail-on ${summary.failOn}${summary.failed ? ': failing' : ': passing'})`,
  ];
  for (const item of findings) {
    lines.push('', `${item.severity.toUpperCase().padEnd(8)} ${item.id}`, `  ${item.message}`, `  fix: ${item.fix}`);
  }
  return `${lines.map(escapeForTerminal).join('\n')}\n`;
}
