/**
 * Part D: NestJS. On each platform (`@nestjs/platform-express`, `@nestjs/platform-fastify`) one
 * server process (src/nest-server.ts) hosts three Nest applications: bare (no guard), the floor (a
 * hand-written CanActivate guard with a `Map` cache of verified tokens) and jwt-guard
 * (`JwtGuardModule.forRoot`). The metric is the server's CPU per request with a reused RS256
 * token, the three taken side by side: each repetition runs the three apps once, in an order that
 * rotates, and the ratios are taken within the repetition, so the process's steady state and
 * drifting load cancel out. A fresh process per platform and round.
 */
import { fileURLToPath } from 'node:url';
import { mintToken } from '@jwt-guard/testing';
import { AUDIENCE, formatNumber, formatRatio, ISSUER, log, markdownTable, median, quantile, roundOrder, tamper } from './common.js';
import { check, measuredRun, pinForLoad, startServer, stopServer, warmUp, type Measurement, type Running, type ServerTokens } from './http-load.js';
import { NEST_VARIANTS, type NestPlatform, type NestServerConfig, type NestVariant } from './nest-common.js';
import { keysFor, mintOne, type BenchKeys } from './tokens.js';

export const NEST_PLATFORMS: readonly NestPlatform[] = ['express', 'fastify'];
const SCOPE = 'bench:read';
const NEST_SERVER_FILE = fileURLToPath(new URL('./nest-server.js', import.meta.url));

/** The reused token: RS256, the bench's issuer and audience, carrying the scope the guarded routes require. */
export function scopedToken(keys: BenchKeys): Promise<string> {
  return mintToken(keys, { scope: SCOPE }, { issuer: ISSUER, audience: AUDIENCE, subject: 'user-1', expiresIn: '1h' });
}

/** One Nest server process (src/nest-server.ts) on `platform`, its apps' ports by name. */
export async function startNestServer(keys: BenchKeys, platform: NestPlatform, profile = false): Promise<Ports> {
  const publicKeyPem = keys.publicKey!.export({ type: 'spki', format: 'pem' }).toString();
  const config: NestServerConfig = { platform, issuer: ISSUER, audience: AUDIENCE, publicKeyPem, scope: SCOPE, ...(profile ? { profile } : {}) };
  return portsOf(await startServer(config, NEST_SERVER_FILE));
}

export const VARIANT_LABELS: Record<NestVariant, string> = {
  bare: 'bare Nest (no auth)',
  floor: 'hand-written guard, Map cache (floor)',
  'jwt-guard': 'jwt-guard JwtGuardModule.forRoot',
};

export interface PartDOptions {
  rounds: number;
  /** repetitions per round: each runs every app once */
  repetitions: number;
  /** seconds per measured run */
  duration: number;
  /** warm-up requests per app and round; 0: none */
  warmup: number;
  /** --quick: each measured run is this many requests instead of `duration` seconds (a smoke run). */
  smokeRequests?: number | undefined;
  connections: number;
}

export interface PartDRow {
  platform: NestPlatform;
  variant: NestVariant;
  label: string;
  /** medians over every run of every round */
  rps: number;
  p99: number;
  cpuUs: number;
  /** median over repetitions of (this − bare of the same repetition), µs */
  addedCpuUs: number;
  /** median over repetitions of this ÷ bare, CPU per request */
  cpuToBare: number;
  /** median over repetitions of this ÷ the floor, CPU per request */
  cpuToFloor: number;
  /** the middle half of those per-repetition ratios: [25th, 75th percentile] */
  cpuToFloorQuartiles: [number, number];
  runs: number;
  problems: number;
}

export interface PartDResult {
  rows: PartDRow[];
  notes: string[];
}

export interface Ports {
  running: Running;
  ports: Map<NestVariant, number>;
}

function portsOf(running: Running): Ports {
  const ports = new Map<NestVariant, number>([['bare', running.port]]);
  for (const [, name, port] of running.listening.matchAll(/([a-z-]+)=(\d+)/g)) ports.set(name as NestVariant, Number(port));
  return { running, ports };
}

/** What each app must answer before it is measured: a row cannot time a guard that lets everything through. */
async function checkApps({ running, ports }: Ports, tokens: { valid: string; unscoped: string }, platform: NestPlatform): Promise<void> {
  try {
    for (const [variant, port] of ports) {
      const id = `nest/${platform}/${variant}`;
      if (variant === 'bare') {
        await check(port, tamper(tokens.valid), 200, `${id}: any token`);
        continue;
      }
      await check(port, tokens.valid, 200, `${id}: valid token`);
      await check(port, tamper(tokens.valid), 401, `${id}: tampered token`);
      await check(port, tokens.unscoped, 403, `${id}: a valid token without ${SCOPE}`);
    }
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver stderr: ${running.stderr()}`);
  }
}

export async function runPartD(options: PartDOptions): Promise<PartDResult> {
  const pinned = pinForLoad();
  const notes = [pinned.note];
  const keys = await keysFor('RS256');
  const valid = await scopedToken(keys);
  const unscoped = await mintOne(keys);
  const tokens: ServerTokens = { single: valid, pool: [valid], cursor: { next: 0 } };
  const measured = new Map<string, { runs: Measurement[]; added: number[]; toBare: number[]; toFloor: number[] }>();
  const entry = (platform: NestPlatform, variant: NestVariant) => {
    const key = `${platform}/${variant}`;
    let value = measured.get(key);
    if (value === undefined) measured.set(key, (value = { runs: [], added: [], toBare: [], toFloor: [] }));
    return value;
  };
  let missing = false;
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const platform of roundOrder(NEST_PLATFORMS, round)) {
        const server = await startNestServer(keys, platform);
        try {
          missing ||= !server.ports.has('jwt-guard');
          await checkApps(server, { valid, unscoped }, platform);
          const variants = NEST_VARIANTS.filter((variant) => server.ports.has(variant));
          const at = (variant: NestVariant): Running => ({ ...server.running, port: server.ports.get(variant)! });
          if (options.warmup > 0) for (const variant of variants) await warmUp(at(variant), 'reused', tokens, options.warmup, options.connections);
          for (let repetition = 0; repetition < options.repetitions; repetition++) {
            const results = new Map<NestVariant, Measurement>();
            for (const variant of roundOrder(variants, round * options.repetitions + repetition)) {
              results.set(variant, await measuredRun(at(variant), 'reused', tokens, options));
            }
            const bare = results.get('bare')!;
            const floor = results.get('floor')!;
            for (const [variant, measurement] of results) {
              const values = entry(platform, variant);
              values.runs.push(measurement);
              values.added.push(measurement.cpuUs - bare.cpuUs);
              values.toBare.push(measurement.cpuUs / bare.cpuUs);
              values.toFloor.push(measurement.cpuUs / floor.cpuUs);
            }
          }
        } finally {
          await stopServer(server.running);
        }
        log(`D: round ${round + 1}/${options.rounds}: nest/${platform} done`);
      }
    }
  } finally {
    pinned.release();
  }
  if (missing) notes.push('jwt-guard rows skipped: @jwt-guard/nestjs is not built (run `pnpm build`).');
  const rows: PartDRow[] = [];
  for (const platform of NEST_PLATFORMS) {
    for (const variant of NEST_VARIANTS) {
      const values = measured.get(`${platform}/${variant}`);
      if (values === undefined) continue;
      rows.push({
        platform,
        variant,
        label: VARIANT_LABELS[variant],
        rps: median(values.runs.map((m) => m.rps)),
        p99: median(values.runs.map((m) => m.p99)),
        cpuUs: median(values.runs.map((m) => m.cpuUs)),
        addedCpuUs: median(values.added),
        cpuToBare: median(values.toBare),
        cpuToFloor: median(values.toFloor),
        cpuToFloorQuartiles: [quantile(values.toFloor, 0.25), quantile(values.toFloor, 0.75)],
        runs: values.runs.length,
        problems: values.runs.reduce((sum, m) => sum + m.errors + m.non2xx, 0),
      });
    }
  }
  return { rows, notes };
}

function signed(us: number): string {
  return `${us >= 0 ? '+' : '−'}${formatNumber(Math.abs(us))}`;
}

/** The target: jwt-guard's CPU per request at most 1.05× the floor's, on each platform. */
export const FLOOR_TARGET = 1.05;

export function partDMarkdown(result: PartDResult, options: PartDOptions): string {
  const out: string[] = [];
  out.push('## D. NestJS (`@nestjs/platform-express`, `@nestjs/platform-fastify`)');
  out.push('');
  out.push(
    'One server process per platform and round hosts three Nest applications on three ports, each serving `GET /r` → `{"ok":true}` ' +
      `behind a global guard (APP_GUARD) that requires the scope \`${SCOPE}\`: **bare** (no guard), the **floor** (a hand-written ` +
      '`CanActivate`: the Bearer header, a `Map` of verified tokens — on a miss one `node:crypto` RS256 verification, `iss`/`aud`/`exp` ' +
      'checked; on a hit `exp` checked — and the handler\'s scope metadata read with `Reflector.get`) and **jwt-guard** ' +
      '(`JwtGuardModule.forRoot({ publicKey, algorithms: [\'RS256\'], issuer, audience })`, the handler under `@RequireScope`). ' +
      `Each app is checked first (valid token 200, tampered 401, a token without the scope 403; bare: 200), warmed up with ${options.warmup} requests, ` +
      `then each of ${options.repetitions} repetitions runs the three apps once (${options.duration} s each, after an unmeasured 1000-request pre-run; ` +
      'the order rotates), every request carrying the same valid token (a cache hit for both guards after the first). ' +
      `${options.rounds} rounds, a fresh process per platform and round, ${options.connections} connections. **server CPU µs/req** is the ` +
      'process\'s CPU time over the run ÷ requests (median of all runs); **+µs/req**, **×bare** and **×floor** are taken within ' +
      'each repetition, then the median over repetitions; **×floor, middle half** is the 25th–75th percentile of those per-repetition ratios.',
  );
  out.push('');
  out.push(
    markdownTable(
      ['platform', 'case', 'req/s', 'p99 ms', 'server CPU µs/req', '+µs/req over bare', '×bare (CPU/req)', '×floor (CPU/req)', '×floor, middle half', 'runs', 'problems'],
      result.rows.map((row) => [
        row.platform,
        row.label,
        formatNumber(Math.round(row.rps)),
        formatNumber(row.p99),
        formatNumber(row.cpuUs),
        row.variant === 'bare' ? '' : signed(row.addedCpuUs),
        formatRatio(row.cpuToBare),
        row.variant === 'floor' ? '' : formatRatio(row.cpuToFloor),
        row.variant === 'floor' ? '' : `${formatRatio(row.cpuToFloorQuartiles[0])}–${formatRatio(row.cpuToFloorQuartiles[1])}`,
        String(row.runs),
        row.problems === 0 ? '' : `${row.problems} errors/non-2xx`,
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  const verdicts = result.rows
    .filter((row) => row.variant === 'jwt-guard')
    .map((row) => `${row.platform} ${formatRatio(row.cpuToFloor)} (${row.cpuToFloor <= FLOOR_TARGET ? 'met' : `over by ${(row.cpuToFloor - FLOOR_TARGET).toFixed(2)}`})`);
  if (verdicts.length > 0) out.push('', `jwt-guard ÷ floor, server CPU per request (target ≤ ${FLOOR_TARGET.toFixed(2)}×): ${verdicts.join('; ')}.`);
  for (const note of result.notes) out.push('', `Note: ${note}`);
  return out.join('\n');
}
