/**
 * Part E: what the detectors (`detect`) add to a request with a valid, reused Bearer token. Guards
 * of the built @jwt-guard/core share one cached ES256 token, sent from three client addresses in
 * turn (within `maxAddresses`, so nothing trips): no detectors (the baseline), `tokenShared`,
 * `tokenShared` + `forgeryProbe` with `block-client` (the block list is read before verification),
 * and `tokenShared` with `maxUserAgents` (a User-Agent hashed per request). Each round runs the same
 * number of `authenticate` calls per guard, in alternating order, and reports thread CPU per
 * call; the added cost is each round's difference to the baseline, median over rounds. Every
 * request carries the same lazy `clientAddress`, so the framework's own address lookup (Express
 * `req.ip` runs proxy-addr) is left out: it is the framework's cost, paid only with detectors on.
 */
import { createGuard, type Guard, type GuardOptions, type GuardRequest } from '@jwt-guard/core';
import { createTestIssuer } from '@jwt-guard/testing';
import { formatNumber, markdownTable } from './common.js';
import { measureGuards, type GuardRow } from './guard-rounds.js';


export interface PartEOptions {
  rounds: number;
  /** authenticate calls per guard and round */
  iterations: number;
}

export type PartERow = GuardRow;

export interface PartEResult {
  rows: PartERow[];
  /** The budget for the detectors on (issue 17): ≤ 0.3 µs per request. */
  budgetUs: number;
}

const ADDRESSES = ['198.51.100.7', '203.0.113.20', '2001:db8::1'];

export async function runPartE(options: PartEOptions): Promise<PartEResult> {
  const issuer = await createTestIssuer({ algorithm: 'ES256' });
  try {
    const token = await issuer.sign({ scope: 'orders:read', jti: 'bench-jti' });
    const requests: GuardRequest[] = ADDRESSES.map((address) => ({
      method: 'GET',
      url: '/orders',
      headers: { host: 'api.bench.jwt-guard.test', authorization: `Bearer ${token}`, 'user-agent': 'bench-client/1.0 (linux; x64) node/20' },
      clientAddress: () => address,
    }));
    const base: GuardOptions = issuer.verifierOptions();
    const cases: Array<{ label: string; guard: Guard }> = [
      { label: 'no detectors', guard: createGuard(base) },
      { label: 'tokenShared', guard: createGuard({ ...base, detect: { tokenShared: {} } }) },
      { label: 'tokenShared + forgeryProbe (block-client)', guard: createGuard({ ...base, detect: { tokenShared: {}, forgeryProbe: { respond: 'block-client' } } }) },
      { label: 'tokenShared with maxUserAgents', guard: createGuard({ ...base, detect: { tokenShared: { maxUserAgents: 3 } } }) },
    ];
    // The detectors really run: a fourth address trips tokenShared on a guard that revokes nothing but reports.
    let reported = 0;
    const probe = createGuard({ ...base, detect: { tokenShared: {} }, onDetection: () => (reported += 1) });
    for (const address of [...ADDRESSES, '192.0.2.99']) void probe.authenticate({ ...requests[0]!, clientAddress: () => address });
    if (reported !== 1) throw new Error(`part E: a token from a fourth address was reported ${reported} times, not once`);
    const rows = measureGuards('E', cases.map(({ label, guard }) => ({ label, guard, requests })), options);
    return { rows, budgetUs: 0.3 };
  } finally {
    await issuer.close();
  }
}

export function partEMarkdown({ rows, budgetUs }: PartEResult, options: PartEOptions): string {
  const worst = Math.max(...rows.slice(1, 3).map((row) => row.addedUs));
  return [
    '## Part E: the detectors (`detect`)',
    '',
    `\`guard.authenticate\` of the built core on a GET with a cached ES256 Bearer token sent from three client addresses in turn, ${options.iterations} calls per ` +
      `guard and round, ${options.rounds} rounds in alternating order; thread CPU per call. **added** is each round's difference to the guard ` +
      `without detectors, median over rounds (the budget: ≤ ${budgetUs} µs with detectors on). The framework's own client-address lookup is not included.`,
    '',
    markdownTable(
      ['guard', 'CPU µs/call', 'added µs/call'],
      rows.map((row, index) => [row.label, formatNumber(row.cpuUs, 3), index === 0 ? '—' : signed(row.addedUs)]),
    ),
    '',
    `Detectors on (tokenShared, and tokenShared + forgeryProbe): at most ${signed(worst)} µs/call — ${worst <= budgetUs ? 'within' : '**over**'} the ${budgetUs} µs budget. ` +
      '`maxUserAgents` adds a hash of the User-Agent (its first 256 characters) per request.',
  ].join('\n');
}

function signed(us: number): string {
  return `${us >= 0 ? '+' : '−'}${formatNumber(Math.abs(us), 3)}`;
}
