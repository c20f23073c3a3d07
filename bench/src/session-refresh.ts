/**
 * The refresh endpoint's throughput: `sessionEndpoints(...).refresh` of the built @jwt-guard/session,
 * in process (no HTTP framework: the endpoint is framework-neutral and each adapter only copies
 * status, headers and body). `clients` sessions refresh in a loop, each presenting the refresh
 * token the previous answer set (rotation: every call verifies a cookie, rotates the family in the
 * memory store and signs a new access token). Reported: refreshes per second and CPU per refresh.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSessions, sessionEndpoints, type EndpointRequest, type SessionsOptions } from '@jwt-guard/session';
import { formatNumber, markdownTable, processCpuUs } from './common.js';

export interface RefreshOptions {
  clients: number;
  /** seconds per algorithm */
  duration: number;
}

export interface RefreshRow {
  algorithm: 'HS256' | 'ES256';
  refreshes: number;
  perSecond: number;
  cpuUsPerRefresh: number;
}

const REFRESH_COOKIE = /^([^=;]+)=([^;]*);(?=.*Path=\/auth)/i;

function refreshCookieOf(setCookie: string | string[] | undefined): { name: string; value: string } {
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
    const match = REFRESH_COOKIE.exec(line);
    if (match !== null && match[2] !== '') return { name: match[1]!, value: match[2]! };
  }
  throw new Error('refresh bench: the answer set no refresh cookie');
}

async function runOne(algorithm: RefreshRow['algorithm'], options: RefreshOptions): Promise<RefreshRow> {
  const key: Pick<SessionsOptions, 'secret' | 'privateKey'> =
    algorithm === 'HS256' ? { secret: randomBytes(32) } : { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey };
  const sessions = createSessions({ issuer: 'https://app.bench.jwt-guard.test/', audience: 'bench', ...key });
  const endpoints = sessionEndpoints(sessions, { authenticate: () => ({ subject: 'bench-user', scopes: ['orders:read'] }) });
  const cookies = await Promise.all(
    Array.from({ length: options.clients }, async (_, index) => {
      const tokens = await sessions.login({ subject: `user-${index}`, scopes: ['orders:read'] });
      return refreshCookieOf(tokens.setCookies);
    }),
  );
  const request = (cookie: { name: string; value: string }): EndpointRequest => ({
    method: 'POST',
    url: '/auth/refresh',
    headers: { cookie: `${cookie.name}=${cookie.value}`, 'sec-fetch-site': 'same-origin' },
  });
  /** Every session refreshes in a loop for `ms`; returns how many refreshes were made. */
  async function loop(ms: number): Promise<number> {
    let count = 0;
    const deadline = performance.now() + ms;
    await Promise.all(
      cookies.map(async (_, index) => {
        while (performance.now() < deadline) {
          const response = await endpoints.refresh(request(cookies[index]!));
          if (response.status !== 200) throw new Error(`refresh bench: ${algorithm} refresh answered ${response.status} ${response.body}`);
          cookies[index] = refreshCookieOf(response.headers['set-cookie']);
          count++;
        }
      }),
    );
    return count;
  }
  await loop(Math.min(1000, (options.duration * 1000) / 3)); // warm-up: JIT, key import caches
  const cpuBefore = processCpuUs();
  const started = performance.now();
  const refreshes = await loop(options.duration * 1000);
  const seconds = (performance.now() - started) / 1000;
  return { algorithm, refreshes, perSecond: refreshes / seconds, cpuUsPerRefresh: (processCpuUs() - cpuBefore) / refreshes };
}

export async function runRefresh(options: RefreshOptions): Promise<RefreshRow[]> {
  const rows: RefreshRow[] = [];
  for (const algorithm of ['ES256', 'HS256'] as const) rows.push(await runOne(algorithm, options));
  return rows;
}

export function refreshMarkdown(rows: readonly RefreshRow[], options: RefreshOptions): string {
  return [
    '### The refresh endpoint',
    '',
    `\`sessionEndpoints(sessions).refresh\` of the built @jwt-guard/session in process (memory stores), ${options.clients} sessions ` +
      `refreshing in a loop for ${options.duration} s per algorithm, each presenting the refresh token the previous answer set: ` +
      'every call runs the CSRF check, reads the cookie, rotates the family and signs a new access token. Process CPU per refresh.',
    '',
    markdownTable(
      ['signing', 'refreshes', 'refreshes/s', 'CPU µs/refresh'],
      rows.map((row) => [row.algorithm, formatNumber(row.refreshes, 0), formatNumber(Math.round(row.perSecond)), formatNumber(row.cpuUsPerRefresh)]),
    ),
  ].join('\n');
}
