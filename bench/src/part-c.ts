/**
 * Part C: what the CSRF check adds to a request whose token comes from a cookie. Three guards of
 * the built @jwt-guard/core share one reused (cached) ES256 token: `csrf: false` (no check), the
 * default (Fetch Metadata: `Sec-Fetch-Site: same-origin` passes) and `trustedOrigins` with a request
 * carrying only `Origin` (the fallback), and the default plus `csrf.token` (the session-bound HMAC
 * token in `x-csrf-token`, checked after verification). Each round runs the same number of `authenticate` calls per
 * guard, in alternating order, and reports thread CPU per call; the added cost is each round's
 * difference to the `csrf: false` guard, median over rounds. The HTTP framework is left out on
 * purpose: the check is core code, and 0.3 µs would drown in the noise of an HTTP run.
 */
import { createCsrfToken, createGuard, fromCookie, type Guard, type GuardRequest } from '@jwt-guard/core';
import { createTestIssuer } from '@jwt-guard/testing';
import { formatNumber, markdownTable } from './common.js';
import { measureGuards, type GuardRow } from './guard-rounds.js';


export interface PartCOptions {
  rounds: number;
  /** authenticate calls per guard and round */
  iterations: number;
}

export type PartCRow = GuardRow;

export interface PartCResult {
  rows: PartCRow[];
}

const ORIGIN = 'https://app.bench.jwt-guard.test';
const CSRF_SECRET = 'Bk6vN1xQ8mR3tW9zL2cJ7hF4gD0sYa5P';
const SESSION_ID = 'bench-session';

interface CaseC {
  label: string;
  guard: Guard;
  request: GuardRequest;
}

export async function runPartC(options: PartCOptions): Promise<PartCResult> {
  const issuer = await createTestIssuer({ algorithm: 'ES256' });
  try {
    // A sid for the csrf.token row to bind to; the other rows ignore it.
    const token = await issuer.sign({ scope: 'orders:write', sid: SESSION_ID });
    const base = { ...issuer.verifierOptions(), getToken: fromCookie('access_token') };
    const post = (headers: Record<string, string>): GuardRequest => ({
      method: 'POST',
      url: '/orders',
      headers: { host: 'app.bench.jwt-guard.test', cookie: `theme=dark; access_token=${token}`, ...headers },
    });
    const cases: CaseC[] = [
      { label: 'csrf: false (no check)', guard: createGuard({ ...base, csrf: false }), request: post({ 'sec-fetch-site': 'same-origin' }) },
      { label: 'default: Sec-Fetch-Site same-origin', guard: createGuard(base), request: post({ 'sec-fetch-site': 'same-origin' }) },
      { label: 'trustedOrigins: Origin only', guard: createGuard({ ...base, csrf: { trustedOrigins: [ORIGIN] } }), request: post({ origin: ORIGIN }) },
      {
        label: 'default + csrf token (x-csrf-token)',
        guard: createGuard({ ...base, csrf: { token: { secret: CSRF_SECRET } } }),
        request: post({ 'sec-fetch-site': 'same-origin', 'x-csrf-token': createCsrfToken(CSRF_SECRET, SESSION_ID) }),
      },
    ];
    // Without its token the csrf.token guard refuses: its row measures a check that runs.
    const tokenless = cases[3]!.guard.authenticate(post({ 'sec-fetch-site': 'same-origin' }));
    if (tokenless instanceof Promise || tokenless.type !== 'rejected' || tokenless.error.code !== 'csrf_check_failed') {
      throw new Error('part C: a same-origin POST without its x-csrf-token was not refused with csrf_check_failed');
    }
    // The refusal the check exists for, so the rows cannot measure a check that lets everything through.
    const crossSite = cases[1]!.guard.authenticate(post({ 'sec-fetch-site': 'cross-site' }));
    if (crossSite instanceof Promise || crossSite.type !== 'rejected' || crossSite.error.code !== 'csrf_check_failed') {
      throw new Error('part C: a cross-site POST with a cookie token was not refused with csrf_check_failed');
    }
    const rows = measureGuards('C', cases.map(({ label, guard, request }) => ({ label, guard, requests: [request] })), options);
    return { rows };
  } finally {
    await issuer.close();
  }
}

export function partCMarkdown({ rows }: PartCResult, options: PartCOptions): string {
  return [
    '## Part C: the CSRF check (cookie token, unsafe method)',
    '',
    `\`guard.authenticate\` of the built core on a POST whose cached ES256 token is in a cookie, ${options.iterations} calls per ` +
      `guard and round, ${options.rounds} rounds in alternating order; thread CPU per call. **added** is each round's difference to ` +
      'the `csrf: false` guard, median over rounds (the budget: ≤ 0.3 µs, for the default check). Bearer-header requests and safe methods never run the check.',
    '',
    markdownTable(
      ['guard', 'CPU µs/call', 'added µs/call'],
      rows.map((row, index) => [row.label, formatNumber(row.cpuUs, 3), index === 0 ? '—' : signed(row.addedUs)]),
    ),
    '',
    tokenCost(rows),
  ].join('\n');
}

function signed(us: number): string {
  return `${us >= 0 ? '+' : '−'}${formatNumber(Math.abs(us), 3)}`;
}

/** The opt-in token's own cost: one HMAC-SHA256 per checked request, on top of the default check. */
function tokenCost(rows: readonly PartCRow[]): string {
  const defaultRow = rows[1];
  const tokenRow = rows[3];
  if (defaultRow === undefined || tokenRow === undefined) return '';
  return `The opt-in \`csrf.token\` adds ${signed(tokenRow.addedUs - defaultRow.addedUs)} µs/call to the default check ` +
    `(${signed(tokenRow.addedUs)} µs over \`csrf: false\`): the session's expected token looked up (an HMAC-SHA256 on its first request, remembered after) and a constant-time comparison per unsafe cookie-token request; outside the 0.3 µs budget, which is for the default.`;
}
