import { closestName } from '@jwt-guard/core';
import { parseCommandArgs } from './args.js';
import { audit } from './audit.js';
import { SEVERITIES, type Severity } from './audit-findings.js';
import { EC_CURVES, type EcCurve } from './audit-keys.js';
import { auditJson, auditText, sortFindings, summarize } from './audit-report.js';
import { tokensFromText } from './audit-tokens.js';
import { optionsFromFlags } from './flag-options.js';
import type { CliIo } from './run.js';
import { parseSpan, UsageError } from './time.js';

export const AUDIT_USAGE = `  audit   [--issuer URL]... [--discovery] [--jwks-uri URL | --jwks FILE | --jwks-env NAME] [--secret-env NAME] [--secret-encoding ENC]
          [--alg ALG]... [--typ TYP] [--revocation] [--revoked-jti JTI]... [--config FILE.json] [--json] < tokens.txt
          [--max-lifetime 1h] [--min-ec-curve P-256|P-384|P-521] [--fail-on info|low|medium|high|critical (default high)]
          [--timeout 5s] [--max-bytes 1048576]
          Reviews the configuration, the discovery document and JWKS it names, and sample tokens (stdin, one per line;
          never printed): findings with an id, a severity and a fix. An unreachable endpoint is a finding.
`;

/** A value of a closed list, or a usage error with the closest one. */
function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const close = closestName(value, allowed);
  throw new UsageError(`audit: ${option} is one of ${allowed.join(', ')}; got ${JSON.stringify(value)}${close === undefined ? '' : ` (did you mean ${close}?)`}.`);
}

function positiveSpan(value: string, option: string): number {
  const seconds = parseSpan(value, option);
  if (seconds <= 0) throw new UsageError(`audit: ${option} must be above zero; got ${JSON.stringify(value)}.`);
  return seconds;
}

/** `jwt-guard audit`: exit 0 when no finding is at or above --fail-on, 1 when one is, 2 for a usage error. */
export async function auditCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('audit', args);
  const failOn: Severity = oneOf(values['fail-on'], SEVERITIES, '--fail-on');
  const minEcCurve: EcCurve = oneOf(values['min-ec-curve'], EC_CURVES, '--min-ec-curve');
  const maxBytes = Number(values['max-bytes']);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new UsageError(`audit: --max-bytes must be a positive whole number; got ${JSON.stringify(values['max-bytes'])}.`);
  const base = await optionsFromFlags(values, io.env);
  const options = {
    ...base,
    maxLifetime: positiveSpan(values['max-lifetime'], '--max-lifetime'),
    minEcCurve,
    revocation: values.revocation === true,
    timeoutMs: positiveSpan(values.timeout, '--timeout') * 1000,
    maxBytes,
  };
  const tokens = tokensFromText(await io.readStdin());
  const nothing = options.issuer === undefined && options.jwksUri === undefined && options.jwksFile === undefined && options.jwksEnv === undefined && options.secretEnv === undefined && tokens.length === 0;
  if (nothing) throw new UsageError('audit: nothing to review; give --issuer with --discovery, a JWKS (--jwks-uri, --jwks, --jwks-env), --secret-env, --config, or tokens on stdin.');
  if (options.discovery === true && (options.issuer === undefined || options.issuer === false || options.issuer.length === 0)) {
    throw new UsageError('audit: --discovery needs --issuer (the discovery document is found from it).');
  }

  const { findings, scope } = await audit(options, tokens);
  const sorted = sortFindings(findings);
  const summary = summarize(sorted, failOn, scope);
  io.stdout(values.json === true ? auditJson(sorted, summary) : auditText(sorted, summary));
  return summary.failed ? 1 : 0;
}
