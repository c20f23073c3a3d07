/**
 * Run in its own process (`--expose-gc`): one verifier, default cache, a million distinct valid
 * tokens. Prints RSS growth in MB after warm-up, after the million, and after a settling pause.
 */
import { createHmac } from 'node:crypto';
import { createVerifier } from '../../src/index.js';

const SECRET = 'm4Jq2xV9pL4mN8rT1wZ5yB3kF6hD0sGaQeUiOjZk';
const verifier = createVerifier({ secret: SECRET, issuer: 'i', audience: 'a' });
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const exp = Math.floor(Date.now() / 1000) + 3600;

function mint(index: number): string {
  const payload = Buffer.from(JSON.stringify({ iss: 'i', aud: 'a', sub: `user-${index}`, jti: `jti-${index}`, exp, scope: 'orders:read orders:write' })).toString('base64url');
  const input = `${header}.${payload}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const gc = (globalThis as { gc?: () => void }).gc!;
const rssMb = () => {
  gc();
  gc();
  return process.memoryUsage().rss / 1024 / 1024;
};
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const total = Number(process.argv[2] ?? 1_000_000);
for (let index = 0; index < 20_000; index += 1) await verifier.verify(mint(index));
const warm = rssMb();
const warmHeap = heapMb();
for (let index = 20_000; index < total; index += 1) await verifier.verify(mint(index));
const after = rssMb();
const heapAfter = heapMb();
// Settling: V8 hands freed pages back to the system lazily, so resident memory is read again later.
await new Promise((resolve) => setTimeout(resolve, 2000));
const settled = rssMb();
console.log(JSON.stringify({ total, warmMb: warm, grownMb: after - warm, heapGrowthMb: heapAfter - warmHeap, settledGrowthMb: settled - warm }));
