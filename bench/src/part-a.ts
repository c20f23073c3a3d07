/**
 * Part A: what verifying one token costs, per algorithm, for the node:crypto primitive, jose,
 * fast-jwt, jsonwebtoken and jwt-guard's core verifier (the built @jwt-guard/core).
 *
 * Every case runs a fixed number of verifications (calibrated once, ~`batchMs` worth) per round;
 * rounds alternate the order of the cases, and each ratio is taken against the primitive of the
 * same algorithm in the same round before the median over rounds is reported.
 */
import {
  constants,
  createHmac,
  createPublicKey,
  createSecretKey,
  timingSafeEqual,
  verify as cryptoVerify,
  webcrypto,
  type KeyObject,
  type VerifyKeyObjectInput,
} from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { importSPKI, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { createVerifier } from '@jwt-guard/core';
import type { TestKeys } from '@jwt-guard/testing';
import {
  AUDIENCE,
  formatNumber,
  formatRatio,
  ISSUER,
  log,
  markdownTable,
  median,
  processCpuUs,
  roundOrder,
  tamper,
  threadCpuNs,
} from './common.js';
import {
  HOSTILE_SHAPES,
  hostilePool,
  keysFor,
  MAX_TOKEN_LENGTH,
  mintLongPool,
  mintOne,
  PART_A_ALGORITHMS,
  poolFor,
  type BenchAlgorithm,
  type HostileShape,
} from './tokens.js';

export interface PartAOptions {
  rounds: number;
  /** Target duration of one timed batch, in ms. */
  batchMs: number;
  /** Distinct tokens per algorithm. */
  poolSize: number;
  algorithms?: readonly BenchAlgorithm[];
}

type VerifyFn = (token: string) => unknown;

interface CaseSpec {
  /** Row label, stable: the test looks for it. */
  label: string;
  verify: VerifyFn;
  async: boolean;
  /** In-flight verifications (async cases only). */
  concurrency: number;
  /**
   * 'pool': a different pre-minted token each iteration; 'single': the same token every time;
   * 'own': a different token of the case's own pool each iteration.
   */
  tokens: 'pool' | 'single' | 'own';
  ownPool?: readonly string[];
  /** Hostile cases: every token must be refused, with one of these codes. */
  refusedWith?: readonly string[];
}

interface Sample {
  wallUs: number;
  mainCpuUs: number | undefined;
  totalCpuUs: number;
}

export interface PartARow {
  algorithm: BenchAlgorithm;
  label: string;
  iterations: number;
  wallUs: number;
  mainCpuUs: number;
  totalCpuUs: number;
  /** median over rounds of (this case's total CPU / the primitive's total CPU) in the same round */
  cpuRatio: number;
  /** the same with wall time */
  wallRatio: number;
  opsPerSecond: number;
}

export const PRIMITIVE_LABEL = 'primitive (node:crypto)';
/** Valid tokens as long as the hostile ones: what they are compared with. */
export const LONG_LABEL = `jwt-guard, uncached, ${MAX_TOKEN_LENGTH / 1024} KiB token`;
const HOSTILE_PREFIX = 'jwt-guard, hostile: ';
export const HOSTILE_LABELS = (Object.keys(HOSTILE_SHAPES) as HostileShape[]).map((shape) => `${HOSTILE_PREFIX}${shape}`);
/** Distinct tokens per long or hostile case (fewer than the main pool: these are 8 KiB each). */
const SIDE_POOL = 1024;

/** Row labels per algorithm, in report order. */
export function partALabels(algorithm: BenchAlgorithm): string[] {
  return [
    PRIMITIVE_LABEL,
    'jose jwtVerify',
    'fast-jwt',
    'fast-jwt, cache hit',
    ...(algorithm === 'EdDSA' ? [] : ['jsonwebtoken']),
    'jwt-guard, uncached',
    LONG_LABEL,
    ...HOSTILE_LABELS,
    'jwt-guard, cached',
    'jwt-guard ×16 concurrent',
    'jose jwtVerify ×16 concurrent',
  ];
}

function signingParts(token: string): { input: Buffer; signature: Buffer } {
  const dot = token.lastIndexOf('.');
  return { input: Buffer.from(token.slice(0, dot), 'latin1'), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
}

/** The floor: split the token, decode the signature, one node:crypto call. No JSON, no claims. */
function primitive(algorithm: BenchAlgorithm, keys: TestKeys, hmacKey: KeyObject | undefined): VerifyFn {
  const fail = () => {
    throw new Error('signature invalid');
  };
  if (algorithm === 'HS256') {
    const key = hmacKey!;
    return (token) => {
      // The cheapest way to feed createHmac: the ASCII text as latin1, copied natively (a JS Buffer
      // first costs ~1 µs more). jwt-guard does the same, so the floor is not set artificially high.
      const dot = token.lastIndexOf('.');
      const signature = Buffer.from(token.slice(dot + 1), 'base64url');
      const mac = createHmac('sha256', key).update(token.slice(0, dot), 'latin1').digest();
      if (mac.length !== signature.length || !timingSafeEqual(mac, signature)) fail();
      return true;
    };
  }
  const publicKey = keys.publicKey!;
  let keyInput: VerifyKeyObjectInput | KeyObject;
  let digest: string | null = 'sha256';
  switch (algorithm) {
    case 'PS256':
      keyInput = { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
      break;
    case 'ES256':
      keyInput = { key: publicKey, dsaEncoding: 'ieee-p1363' };
      break;
    case 'EdDSA':
      keyInput = publicKey;
      digest = null;
      break;
    default:
      keyInput = publicKey;
  }
  return (token) => {
    const { input, signature } = signingParts(token);
    if (!cryptoVerify(digest, input, keyInput, signature)) fail();
    return true;
  };
}

/** `poolStart`: the pool's first token, where each cycle through the pool begins. */
async function buildCases(algorithm: BenchAlgorithm, keys: TestKeys, pool: readonly string[], sidePool: number): Promise<CaseSpec[]> {
  const poolStart = pool[0]!;
  // Real signatures of other tokens, for the hostile ones: the full signature check, never a shortcut.
  const signatures = pool.slice(0, 64).map((token) => token.slice(token.lastIndexOf('.') + 1));
  const hmacSecret = keys.secret === undefined ? undefined : Buffer.from(keys.secret);
  const hmacKey = hmacSecret === undefined ? undefined : createSecretKey(hmacSecret);
  const pem = keys.publicKeyPem;

  // jose: a CryptoKey imported once.
  const joseKey =
    algorithm === 'HS256'
      ? await webcrypto.subtle.importKey('raw', hmacSecret!, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : await importSPKI(pem!, algorithm);
  const joseOptions = { algorithms: [algorithm], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp'] };
  const joseVerify: VerifyFn = (token) => jwtVerify(token, joseKey, joseOptions);

  // fast-jwt: PEM or secret bytes (it imports them once, at creation).
  const fastKey = algorithm === 'HS256' ? hmacSecret! : pem!;
  const fastOptions = { key: fastKey, algorithms: [algorithm], allowedIss: ISSUER, allowedAud: AUDIENCE };
  const fastVerify = createFastJwtVerifier({ ...fastOptions, cache: false });
  const fastCached = createFastJwtVerifier({ ...fastOptions, cache: true });

  // jsonwebtoken: a KeyObject (a PEM string would be parsed again on every call).
  const jwtKey: KeyObject = algorithm === 'HS256' ? hmacKey! : createPublicKey(pem!);
  const jwtOptions: jsonwebtoken.VerifyOptions = {
    algorithms: [algorithm as jsonwebtoken.Algorithm],
    issuer: ISSUER,
    audience: AUDIENCE,
  };

  // jwt-guard: the key source as an app would configure it (imported once, at start-up), default
  // options otherwise. One verifier per case, so that whatever one case leaves in a verifier's
  // caches cannot serve another case. Pool cases get a new verifier each time the cycle through the
  // pool starts over (creating it costs ~1/16384 of a pass): a verifier then sees each token once,
  // so its verified-token cache never answers. (Its admission keeps only a lossy table of recent
  // sightings, so a verifier kept across passes would admit a share of the tokens on their second
  // pass and answer them from the cache on the third: no longer the cost of an unseen token.)
  const oursOptions =
    algorithm === 'HS256'
      ? { secret: keys.secret!, algorithms: [algorithm], issuer: ISSUER, audience: AUDIENCE }
      : { publicKey: keys.publicKey!, algorithms: [algorithm], issuer: ISSUER, audience: AUDIENCE };
  const oursVerify = (freshEachPass: boolean, cycleStart = poolStart): VerifyFn => {
    let verifier = createVerifier(oursOptions);
    return (token) => {
      if (freshEachPass && token === cycleStart) verifier = createVerifier(oursOptions);
      return verifier.verify(token);
    };
  };
  // The hostile rows and the valid tokens of the same length call verifyNow, as the guard does for
  // every request: synchronous, a refusal a throw. (Through verify, each refusal would also pay
  // ~1.6 µs of Node's tracking of a promise rejected before its handler is attached, which no
  // request pays.) Hostile tokens are refused, so nothing of them is cached: one verifier for the
  // whole run; the refusal is the result, checked by assertRefuses.
  const oursNow = (cycleStart: string): VerifyFn => {
    let verifier = createVerifier(oursOptions);
    return (token) => {
      if (token === cycleStart) verifier = createVerifier(oursOptions);
      return verifier.verifyNow(token);
    };
  };
  const oursRefusing = (): VerifyFn => {
    const verifier = createVerifier(oursOptions);
    return (token) => {
      let outcome: unknown;
      try {
        outcome = verifier.verifyNow(token);
      } catch (error) {
        return error;
      }
      // Accepted (undefined), or — never with keys held and the node backend — gone asynchronous.
      return outcome instanceof Promise ? new Error('a hostile token was verified asynchronously') : undefined;
    };
  };
  const longPool = await mintLongPool(keys, sidePool);

  const cases: CaseSpec[] = [
    { label: PRIMITIVE_LABEL, verify: primitive(algorithm, keys, hmacKey), async: false, concurrency: 1, tokens: 'pool' },
    { label: 'jose jwtVerify', verify: joseVerify, async: true, concurrency: 1, tokens: 'pool' },
    { label: 'fast-jwt', verify: (token): unknown => fastVerify(token), async: false, concurrency: 1, tokens: 'pool' },
    { label: 'fast-jwt, cache hit', verify: (token): unknown => fastCached(token), async: false, concurrency: 1, tokens: 'single' },
  ];
  if (algorithm !== 'EdDSA') {
    cases.push({ label: 'jsonwebtoken', verify: (token) => jsonwebtoken.verify(token, jwtKey, jwtOptions), async: false, concurrency: 1, tokens: 'pool' });
  }
  cases.push(
    { label: 'jwt-guard, uncached', verify: oursVerify(true), async: true, concurrency: 1, tokens: 'pool' },
    { label: LONG_LABEL, verify: oursNow(longPool[0]!), async: false, concurrency: 1, tokens: 'own', ownPool: longPool },
    ...(Object.keys(HOSTILE_SHAPES) as HostileShape[]).map(
      (shape): CaseSpec => ({
        label: `${HOSTILE_PREFIX}${shape}`,
        verify: oursRefusing(),
        async: false,
        concurrency: 1,
        tokens: 'own',
        ownPool: hostilePool(keys, shape, sidePool, signatures),
        refusedWith: shape.startsWith('header') && shape !== 'header: 32 values' && shape !== 'header: 32 numbers' ? ['token_malformed'] : ['signature_invalid'],
      }),
    ),
    { label: 'jwt-guard, cached', verify: oursVerify(false), async: true, concurrency: 1, tokens: 'single' },
    { label: 'jwt-guard ×16 concurrent', verify: oursVerify(true), async: true, concurrency: 16, tokens: 'pool' },
    { label: 'jose jwtVerify ×16 concurrent', verify: joseVerify, async: true, concurrency: 16, tokens: 'pool' },
  );
  return cases;
}

/** Every token of a hostile case is refused, for the expected reason, and is no longer than a token may be. */
async function assertRefuses(algorithm: BenchAlgorithm, spec: CaseSpec): Promise<void> {
  for (const token of spec.ownPool!) {
    if (token.length > MAX_TOKEN_LENGTH) throw new Error(`${algorithm} ${spec.label}: a token of ${token.length} characters`);
    const error = spec.verify(token) as { code?: string } | undefined;
    if (error === undefined) throw new Error(`${algorithm} ${spec.label}: a hostile token was accepted`);
    if (!spec.refusedWith!.includes(String(error.code))) {
      throw new Error(`${algorithm} ${spec.label}: refused with ${String(error.code)}, expected ${spec.refusedWith!.join(' or ')}`);
    }
  }
}

/** Valid accepted, tampered refused: each case proves it verifies before it is timed. */
async function assertVerifies(algorithm: BenchAlgorithm, spec: CaseSpec, valid: string): Promise<void> {
  try {
    await spec.verify(valid);
  } catch (error) {
    throw new Error(`${algorithm} ${spec.label}: refused a valid token: ${String(error)}`);
  }
  let refused = false;
  try {
    await spec.verify(tamper(valid));
  } catch {
    refused = true;
  }
  if (!refused) throw new Error(`${algorithm} ${spec.label}: accepted a tampered token`);
}

/** Forced garbage collection, when node runs with --expose-gc (`pnpm bench` does). */
function collectGarbage(type: 'minor' | 'major'): void {
  const gc = (globalThis as { gc?: (options?: { type: 'minor' | 'major'; execution: 'sync' }) => void }).gc;
  gc?.({ type, execution: 'sync' });
}

class Runner {
  private cursor = 0;
  sink: unknown;
  constructor(
    private readonly spec: CaseSpec,
    private readonly pool: readonly string[],
    private readonly single: string,
  ) {}

  private nextToken(): string {
    if (this.spec.tokens === 'single') return this.single;
    const pool = this.spec.ownPool ?? this.pool;
    const token = pool[this.cursor]!;
    this.cursor = (this.cursor + 1) % pool.length;
    return token;
  }

  async run(iterations: number): Promise<void> {
    const { verify } = this.spec;
    if (!this.spec.async) {
      let sink: unknown;
      for (let i = 0; i < iterations; i++) sink = verify(this.nextToken());
      this.sink = sink;
      return;
    }
    if (this.spec.concurrency === 1) {
      let sink: unknown;
      for (let i = 0; i < iterations; i++) sink = await verify(this.nextToken());
      this.sink = sink;
      return;
    }
    const perWorker = Math.ceil(iterations / this.spec.concurrency);
    await Promise.all(
      Array.from({ length: this.spec.concurrency }, async () => {
        for (let i = 0; i < perWorker; i++) this.sink = await verify(this.nextToken());
      }),
    );
  }

  /** Runs `iterations` verifications and returns per-operation costs. */
  async measure(iterations: number): Promise<Sample> {
    // A scavenge before each batch (cheap): no case starts with another's young garbage. A full
    // collection runs once per algorithm and round (see runPartA); per batch it would cost more
    // time than the batches themselves, with the token pools and caches in the heap.
    collectGarbage('minor');
    const main0 = threadCpuNs();
    const cpu0 = processCpuUs();
    const t0 = process.hrtime.bigint();
    await this.run(iterations);
    const t1 = process.hrtime.bigint();
    const cpu1 = processCpuUs();
    const main1 = threadCpuNs();
    const done = this.spec.concurrency === 1 ? iterations : Math.ceil(iterations / this.spec.concurrency) * this.spec.concurrency;
    return {
      wallUs: Number(t1 - t0) / 1000 / done,
      totalCpuUs: (cpu1 - cpu0) / done,
      mainCpuUs: main0 === undefined || main1 === undefined ? undefined : (main1 - main0) / 1000 / done,
    };
  }

  /** Iterations that take about `batchMs`, after a warm-up of about as long. */
  async calibrate(batchMs: number): Promise<number> {
    let iterations = 16;
    let elapsed = 0;
    const start = performance.now();
    while (performance.now() - start < batchMs) {
      const t = performance.now();
      await this.run(iterations);
      elapsed = performance.now() - t;
      if (elapsed < batchMs / 4) iterations *= 2;
    }
    const perOp = elapsed / iterations;
    const n = Math.max(16, Math.round(batchMs / perOp));
    return Math.ceil(n / 16) * 16;
  }
}

export interface PartAResult {
  rows: PartARow[];
  /** jwt-guard (uncached) ÷ each other case, total CPU per op, median of per-round ratios */
  versus: { algorithm: BenchAlgorithm; other: string; cpuRatio: number; wallRatio: number }[];
  /**
   * Each hostile shape ÷ a valid token of the same length (8 KiB) and ÷ the ordinary valid token
   * ('jwt-guard, uncached'), total CPU per op, median of per-round ratios.
   */
  hostile: { algorithm: BenchAlgorithm; shape: string; totalCpuUs: number; toLong: number; toValid: number }[];
}

export async function runPartA(options: PartAOptions): Promise<PartAResult> {
  const algorithms = options.algorithms ?? PART_A_ALGORITHMS;
  const groups: { algorithm: BenchAlgorithm; specs: CaseSpec[]; runners: Runner[]; iterations: number[] }[] = [];
  for (const algorithm of algorithms) {
    const keys = await keysFor(algorithm);
    const t = performance.now();
    const pool = await poolFor(algorithm, options.poolSize);
    const single = await mintOne(keys);
    log(`A: ${algorithm}: minted ${pool.length} tokens in ${Math.round(performance.now() - t)} ms`);
    const specs = await buildCases(algorithm, keys, pool, Math.min(SIDE_POOL, options.poolSize));
    for (const spec of specs) {
      if (spec.refusedWith !== undefined) {
        await assertRefuses(algorithm, spec);
        continue;
      }
      const own = spec.ownPool ?? pool;
      for (const token of spec.tokens === 'single' ? [single] : [own[0]!, own[own.length - 1]!]) await assertVerifies(algorithm, spec, token);
    }
    const runners = specs.map((spec) => new Runner(spec, pool, single));
    const iterations: number[] = [];
    for (const runner of runners) iterations.push(await runner.calibrate(options.batchMs));
    groups.push({ algorithm, specs, runners, iterations });
  }

  const samples = new Map<string, Sample[]>();
  const cpuRatios = new Map<string, number[]>();
  const wallRatios = new Map<string, number[]>();
  const key = (algorithm: string, label: string) => `${algorithm}\0${label}`;
  for (let round = 0; round < options.rounds; round++) {
    for (const group of groups) {
      collectGarbage('major');
      const order = roundOrder(group.specs.map((_, index) => index), round);
      const roundSamples = new Map<number, Sample>();
      for (const index of order) roundSamples.set(index, await group.runners[index]!.measure(group.iterations[index]!));
      const base = roundSamples.get(0)!; // the primitive is case 0
      group.specs.forEach((spec, index) => {
        const sample = roundSamples.get(index)!;
        const k = key(group.algorithm, spec.label);
        (samples.get(k) ?? samples.set(k, []).get(k)!).push(sample);
        (cpuRatios.get(k) ?? cpuRatios.set(k, []).get(k)!).push(sample.totalCpuUs / base.totalCpuUs);
        (wallRatios.get(k) ?? wallRatios.set(k, []).get(k)!).push(sample.wallUs / base.wallUs);
      });
    }
    log(`A: round ${round + 1}/${options.rounds} done`);
  }

  const rows: PartARow[] = [];
  const versus: PartAResult['versus'] = [];
  const hostile: PartAResult['hostile'] = [];
  const perRound = (ours: Sample[], theirs: Sample[]) => median(ours.map((sample, round) => sample.totalCpuUs / theirs[round]!.totalCpuUs));
  for (const group of groups) {
    const ours = samples.get(key(group.algorithm, 'jwt-guard, uncached'))!;
    const long = samples.get(key(group.algorithm, LONG_LABEL))!;
    for (const label of HOSTILE_LABELS) {
      const theirs = samples.get(key(group.algorithm, label))!;
      hostile.push({
        algorithm: group.algorithm,
        shape: label.slice(HOSTILE_PREFIX.length),
        totalCpuUs: median(theirs.map((sample) => sample.totalCpuUs)),
        toLong: perRound(theirs, long),
        toValid: perRound(theirs, ours),
      });
    }
    for (const other of [PRIMITIVE_LABEL, 'jose jwtVerify', 'fast-jwt', 'jsonwebtoken']) {
      const theirs = samples.get(key(group.algorithm, other));
      if (theirs === undefined) continue;
      versus.push({
        algorithm: group.algorithm,
        other,
        cpuRatio: median(ours.map((sample, round) => sample.totalCpuUs / theirs[round]!.totalCpuUs)),
        wallRatio: median(ours.map((sample, round) => sample.wallUs / theirs[round]!.wallUs)),
      });
    }
    group.specs.forEach((spec, index) => {
      const k = key(group.algorithm, spec.label);
      const list = samples.get(k)!;
      const wallUs = median(list.map((sample) => sample.wallUs));
      rows.push({
        algorithm: group.algorithm,
        label: spec.label,
        iterations: group.iterations[index]!,
        wallUs,
        mainCpuUs: median(list.map((sample) => sample.mainCpuUs ?? Number.NaN)),
        totalCpuUs: median(list.map((sample) => sample.totalCpuUs)),
        cpuRatio: median(cpuRatios.get(k)!),
        wallRatio: median(wallRatios.get(k)!),
        opsPerSecond: 1e6 / wallUs,
      });
    });
  }
  return { rows, versus, hostile };
}

export function partAMarkdown({ rows, versus, hostile }: PartAResult, options: PartAOptions): string {
  const out: string[] = [];
  out.push('## A. Per-token verification cost');
  out.push('');
  out.push(
    `${options.rounds} rounds; per round each case runs a fixed batch (calibrated to ~${options.batchMs} ms) and the cases ` +
      'run in a different order every round. Medians over rounds. **µs/op** is wall time; **main CPU** is the main ' +
      "thread's CPU time (/proc/thread-self/schedstat); **total CPU** is the whole process's user+system CPU " +
      "(process.cpuUsage: main thread + libuv threadpool, where jose's WebCrypto work runs, + V8 helper threads). " +
      '**The ×primitive ratio uses total CPU**, taken against the primitive of the same round (median of per-round ratios); ' +
      `×primitive (wall) is the same for wall time. Uncached rows cycle through ${options.poolSize} distinct pre-minted tokens; ` +
      '"cached"/"cache hit" rows reuse one token. "×16 concurrent" rows keep 16 verifications in flight: their µs/op is ' +
      'wall time divided by operations (inverse throughput), not latency.',
  );
  out.push('');
  const algorithms = [...new Set(rows.map((row) => row.algorithm))];
  for (const algorithm of algorithms) {
    out.push(`### ${algorithm}`);
    out.push('');
    const body = rows
      .filter((row) => row.algorithm === algorithm)
      .map((row) => [
        row.label,
        formatNumber(row.wallUs),
        formatNumber(row.mainCpuUs),
        formatNumber(row.totalCpuUs),
        formatRatio(row.cpuRatio),
        formatRatio(row.wallRatio),
        formatNumber(row.opsPerSecond, 0),
      ]);
    out.push(
      markdownTable(
        ['case', 'µs/op (wall)', 'main CPU µs/op', 'total CPU µs/op', '×primitive (total CPU)', '×primitive (wall)', 'ops/s'],
        body,
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push('');
  }
  out.push('### jwt-guard (uncached, sequential) against the others');
  out.push('');
  out.push('Per-round ratio of jwt-guard\'s cost per token to the other case\'s, median over rounds; >1 means jwt-guard costs more.');
  out.push('');
  const others = [...new Set(versus.map((entry) => entry.other))];
  out.push(
    markdownTable(
      ['alg', ...others.flatMap((other) => [`÷ ${other} (total CPU)`, `÷ ${other} (wall)`])],
      algorithms.map((algorithm) => [
        algorithm,
        ...others.flatMap((other) => {
          const entry = versus.find((candidate) => candidate.algorithm === algorithm && candidate.other === other);
          return entry === undefined ? ['—', '—'] : [formatRatio(entry.cpuRatio), formatRatio(entry.wallRatio)];
        }),
      ]),
      ['l', ...others.flatMap(() => ['r', 'r'] as const)],
    ),
  );
  out.push('');
  out.push('### Hostile tokens against valid ones');
  out.push('');
  out.push(
    `Each hostile row is ${SIDE_POOL} distinct tokens of one shape, each as long as maxTokenLength allows (${MAX_TOKEN_LENGTH} characters), ` +
      'each with its own header and a forged signature of the right size. **÷ valid, same length**: against valid tokens of ' +
      `that length (${LONG_LABEL}); **÷ valid**: against the ordinary valid token (jwt-guard, uncached). Total CPU, median of ` +
      'per-round ratios. The costliest shape of each algorithm is marked.',
  );
  out.push('');
  const shapes = [...new Set(hostile.map((entry) => entry.shape))];
  out.push(
    markdownTable(
      ['shape', ...algorithms.flatMap((algorithm) => [`${algorithm} ÷ valid, same length`, `${algorithm} ÷ valid`])],
      shapes.map((shape) => [
        shape,
        ...algorithms.flatMap((algorithm) => {
          const entries = hostile.filter((entry) => entry.algorithm === algorithm);
          const entry = entries.find((candidate) => candidate.shape === shape);
          if (entry === undefined) return ['—', '—'];
          const costliest = entries.reduce((most, candidate) => (candidate.toLong > most.toLong ? candidate : most)) === entry;
          return [`${formatRatio(entry.toLong)}${costliest ? ' ◀' : ''}`, formatRatio(entry.toValid)];
        }),
      ]),
      ['l', ...algorithms.flatMap(() => ['r', 'r'] as const)],
    ),
  );
  out.push('');
  return out.join('\n');
}
