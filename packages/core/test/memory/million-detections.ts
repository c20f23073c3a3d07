/**
 * Run in its own process (`--expose-gc`): the detectors' state (default maxEntries, 100 000) fed a
 * million distinct verified tokens, each used from 4 addresses (so each trips token_shared), and a
 * million forgery signals from a million distinct addresses (an IPv6 flood), with forgery_probe
 * blocking. Prints what is remembered and the heap's growth in MB. The tokens are as long as
 * real RS256 ones, so a detector that kept them would show.
 */
import { randomBytes } from 'node:crypto';
import { resolveDetect } from '../../src/detect/options.js';
import { createDetectors } from '../../src/detect/detectors.js';
import type { AuthContext, JWTPayload } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const total = Number(process.argv[2] ?? 1_000_000);
let events = 0;
const detectors = createDetectors(
  resolveDetect({ tokenShared: { maxAddresses: 3 }, forgeryProbe: { threshold: 1, respond: 'block-client' } }, false)!,
  undefined,
  () => (events += 1),
);
const prefix = `${'h'.repeat(36)}.${'p'.repeat(300)}.`;
const noise = randomBytes(247).toString('base64url');
const header = { alg: 'RS256' } as const;
const request = { method: 'GET', url: '/', headers: {} };
const noScopes: ReadonlySet<string> = new Set();

function use(index: number): void {
  // A fresh string each time (as each request's header is), with a signature as long as RS256's.
  const token = prefix + noise + String(index).padStart(12, '0');
  const auth: AuthContext<JWTPayload> = { token, header, payload: { sub: `user-${index}`, jti: `jti-${index}` }, scopes: noScopes };
  for (let address = 0; address < 4; address++) detectors.afterVerified(`10.0.${address}.1`, request, auth);
  detectors.afterRefused(`2001:db8::${index.toString(16)}`, request, 'signature_invalid');
}

for (let index = 0; index < 20_000; index++) use(index);
const warmHeap = heapMb();
const started = performance.now();
for (let index = 20_000; index < total; index++) use(index);
const seconds = (performance.now() - started) / 1000;
const heapAfter = heapMb();
console.log(JSON.stringify({ total, events, ...detectors.sizes(), heapGrowthMb: heapAfter - warmHeap, heapMb: heapAfter, seconds }));
