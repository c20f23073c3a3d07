/**
 * Part B: HTTP throughput and p99 latency with autocannon, against servers in their own
 * processes (src/server.ts), for Express, Koa and Fastify: bare, jwt-guard, and the peer
 * middleware, with a reused token and with distinct tokens; plus a no-op middleware (the
 * framework's own cost of one more layer) and revocation (memory, Redis).
 *
 * Per framework, `rounds` rounds; in a round a bare server is started, then each case in a
 * rotating order is started, checked (valid → 200, tampered → 401), warmed up, and run in both
 * token modes, every run followed by a bare run, then stopped. Each case's ratio is to the mean of
 * its two neighbouring bare runs (same framework, same mode); medians over rounds. Then, per
 * framework and algorithm, the same-process runs of part-b-same-process.ts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  AUDIENCE,
  formatNumber,
  formatRatio,
  ISSUER,
  log,
  markdownTable,
  median,
  REPO_DIR,
  roundOrder,
  sleep,
  tamper,
} from './common.js';
import {
  againstNeighbours,
  check,
  measuredRun,
  pinForLoad,
  startRedis,
  startServer,
  stopServer,
  warmUp,
  type Measurement,
  type Running,
  type TokenMode,
} from './http-load.js';
import { runSameProcess, sameProcessMarkdown, type SameProcessRow } from './part-b-same-process.js';
import type { Framework, Impl, ServerConfig } from './server.js';
import { keysFor, mintOne, poolFor } from './tokens.js';

export interface PartBOptions {
  rounds: number;
  /** seconds per measured run */
  duration: number;
  /** warm-up requests per server and token mode, before the rounds; 0: none */
  warmup: number;
  /** --quick: each measured run is this many requests instead of `duration` seconds (a smoke run). */
  smokeRequests?: number | undefined;
  connections: number;
  /** distinct tokens per algorithm */
  poolSize: number;
  /** revoked jtis preloaded in the revocation stores */
  revokedJtis: number;
  /** only these frameworks (default: all three); the revocation rows are Express's */
  frameworks?: readonly Framework[];
}

export type { TokenMode };
const MODES: readonly TokenMode[] = ['reused', 'distinct'];

interface CaseDef {
  id: string;
  framework: Framework;
  impl: Impl;
  algorithm: 'RS256' | 'HS256' | undefined;
  revocation?: 'memory' | 'redis';
  /** the row this one is compared to, besides bare (revocation rows: the same guard without revocation) */
  baselineId?: string;
}

export interface PartBRow {
  id: string;
  framework: Framework;
  label: string;
  algorithm: string;
  mode: TokenMode;
  rps: number;
  p99: number;
  /** server CPU (all threads) per request, µs */
  cpuUs: number;
  /** median over rounds of rps ÷ the mean rps of the two neighbouring bare runs (same framework, mode) */
  ratioToBare: number;
  /** the same for server CPU per request */
  cpuRatioToBare: number;
  /** server CPU per request minus that of the neighbouring bare runs: what the auth middleware adds, µs */
  addedCpuUs: number;
  /** revocation rows: median over rounds of this row's normalised rps ÷ that of the same guard without revocation */
  ratioToBaseline?: number;
  cpuRatioToBaseline?: number;
  addedCpuUsOverBaseline?: number;
  errors: number;
  non2xx: number;
}

export interface PartBResult {
  rows: PartBRow[];
  /** ours ÷ peer, per framework, algorithm and mode (median of per-round ratios) */
  versus: {
    framework: Framework;
    algorithm: string;
    mode: TokenMode;
    peer: string;
    /** jwt-guard req/s ÷ peer req/s (each normalised to its neighbouring bare runs) */
    ratio: number;
    /** jwt-guard server CPU/request ÷ the peer's (each normalised likewise) */
    cpuRatio: number;
    oursAddedCpuUs: number;
    peerAddedCpuUs: number;
  }[];
  /** the guarded and an unguarded route of one process, alternately (reused token) */
  sameProcess: SameProcessRow[];
  notes: string[];
}

export function caseLabel(def: Pick<CaseDef, 'impl' | 'revocation'>): string {
  if (def.revocation === 'memory') return 'jwt-guard + memoryRevocationStore';
  if (def.revocation === 'redis') return 'jwt-guard + redisRevocationStore';
  if (def.impl === 'noop') return 'no-op middleware (no auth)';
  return def.impl === 'bare' ? 'bare (no auth)' : def.impl;
}

/** bare and no-op servers answer every request, whatever its token. */
function authenticates(impl: Impl): boolean {
  return impl !== 'bare' && impl !== 'noop';
}

const PEERS: Record<Framework, Impl[]> = {
  express: ['express-jwt', 'express-oauth2-jwt-bearer'],
  koa: ['koa-jwt'],
  fastify: ['@fastify/jwt'],
};

/** Why the Redis row cannot run here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  if (!existsSync(path.join(REPO_DIR, 'packages/redis/package.json'))) return 'packages/redis does not exist';
  if (!existsSync(path.join(REPO_DIR, 'packages/redis/dist/index.js'))) return '@jwt-guard/redis is not built (packages/redis/dist/index.js is missing)';
  if (!existsSync('/usr/bin/redis-server')) return 'redis-server is not installed at /usr/bin/redis-server';
  return undefined;
}

function caseDefs(framework: Framework, withRedis: boolean): CaseDef[] {
  const defs: CaseDef[] = [
    { id: `${framework}/bare`, framework, impl: 'bare', algorithm: undefined },
    // What the framework itself charges for one more middleware: the floor under any auth middleware.
    { id: `${framework}/noop`, framework, impl: 'noop', algorithm: undefined },
  ];
  for (const algorithm of ['RS256', 'HS256'] as const) {
    defs.push({ id: `${framework}/jwt-guard/${algorithm}`, framework, impl: 'jwt-guard', algorithm });
    for (const peer of PEERS[framework]) defs.push({ id: `${framework}/${peer}/${algorithm}`, framework, impl: peer, algorithm });
  }
  if (framework === 'express') {
    const baselineId = 'express/jwt-guard/HS256';
    defs.push({ id: 'express/jwt-guard+memory/HS256', framework, impl: 'jwt-guard', algorithm: 'HS256', revocation: 'memory', baselineId });
    if (withRedis) defs.push({ id: 'express/jwt-guard+redis/HS256', framework, impl: 'jwt-guard', algorithm: 'HS256', revocation: 'redis', baselineId });
  }
  return defs;
}

export async function runPartB(options: PartBOptions): Promise<PartBResult> {
  const notes: string[] = [];
  const pinned = pinForLoad();
  notes.push(pinned.note);
  const redisReason = redisUnavailable();
  if (redisReason !== undefined) notes.push(`Redis revocation row skipped: ${redisReason}.`);

  const rsKeys = await keysFor('RS256');
  const hsKeys = await keysFor('HS256');
  const t = performance.now();
  const material = {
    RS256: { single: await mintOne(rsKeys), pool: await poolFor('RS256', options.poolSize) },
    HS256: { single: await mintOne(hsKeys), pool: await poolFor('HS256', options.poolSize) },
  };
  log(`B: token pools ready in ${Math.round(performance.now() - t)} ms`);

  const redis = redisReason === undefined ? await startRedis() : undefined;
  const rows: PartBRow[] = [];
  const versus: PartBResult['versus'] = [];
  const sameProcess: SameProcessRow[] = [];
  try {
    for (const framework of options.frameworks ?? (['express', 'koa', 'fastify'] as const)) {
      const defs = caseDefs(framework, redis !== undefined);
      const configOf = (def: CaseDef): ServerConfig => ({
        framework,
        impl: def.impl,
        ...(def.algorithm === undefined ? {} : { algorithm: def.algorithm }),
        ...(def.revocation === undefined ? {} : { revocation: def.revocation, revokedJtis: options.revokedJtis }),
        ...(def.revocation === 'redis' ? { redisUrl: redis!.url } : {}),
        issuer: ISSUER,
        audience: AUDIENCE,
        publicKeyPem: rsKeys.publicKeyPem!,
        secret: hsKeys.secretString!,
        repoDir: REPO_DIR,
      });
      // Servers without auth (bare, no-op) get RS256 tokens (the longer header); they ignore them.
      const tokensOf = defs.map((def) => ({ ...material[def.algorithm ?? 'RS256'], cursor: { next: 0 } }));
      /**
       * A fresh process for every case in every round: a server process settles into a faster or a
       * slower steady state (seen here: bare Fastify at 24–28 or at 40–50 µs/req for as long as the
       * process lives), so one process per case for the whole run would bias that case in every
       * round alike. Each is checked, then warmed up by request count — V8 needs thousands of
       * requests through a server's hot paths before its CPU per request settles, however slowly a
       * busy machine serves them — capped at 3 s per token mode for the slowest middleware.
       */
      const ready = async (index: number): Promise<Running> => {
        const def = defs[index]!;
        const server = await startServer(configOf(def));
        const tokens = tokensOf[index]!;
        try {
          try {
            await check(server.port, tokens.single, 200, `${def.id}: valid token`);
            await check(server.port, tokens.pool[0]!, 200, `${def.id}: valid pool token`);
            await check(server.port, tamper(tokens.single), authenticates(def.impl) ? 401 : 200, `${def.id}: tampered token`);
          } catch (error) {
            throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver stderr: ${server.stderr()}`);
          }
          if (options.warmup > 0) {
            for (const mode of MODES) await warmUp(server, mode, tokens, options.warmup, options.connections);
          }
        } catch (error) {
          await stopServer(server);
          throw error;
        }
        return server;
      };
      /*
       * A round: the bare server is started and warmed up, then every case in turn (the order
       * rotates from round to round) is started, warmed up and measured in both token modes, each
       * measured run followed by a run of the bare server, and stopped. A case's ratio is to the mean
       * of the bare runs just before and after it, so load from outside (a shared machine) that
       * drifts over tens of seconds cancels out; and no case waits long between its warm-up and its
       * runs (an earlier layout started every server at once, and a server that sat idle for half a
       * minute measured slower than one that had just run).
       */
      const bareIndex = defs.findIndex((def) => def.impl === 'bare');
      const others = defs.map((_, i) => i).filter((i) => i !== bareIndex);
      interface Normalised {
        measurement: Measurement;
        /** req/s ÷ mean req/s of the neighbouring bare runs */
        rps: number;
        /** CPU/request ÷ mean CPU/request of the neighbouring bare runs */
        cpu: number;
        /** CPU/request − mean CPU/request of the neighbouring bare runs: what auth adds, µs */
        addedCpuUs: number;
      }
      const perRound: Map<string, Normalised>[] = [];
      const bareRuns = new Map<TokenMode, Measurement[]>(MODES.map((mode) => [mode, []]));
      // The bare server waits while each case starts and warms up: measuredRun's pre-run brings it
      // back to its steady state first (and every case alike, for symmetry).
      const run = async (server: Running, index: number, mode: TokenMode) => {
        const measurement = await measuredRun(server, mode, tokensOf[index]!, options);
        await sleep(50);
        return measurement;
      };
      for (let round = 0; round < options.rounds; round++) {
        const modes = round % 2 === 0 ? MODES : [...MODES].reverse();
        const measured = new Map<string, Normalised>();
        const bare = await ready(bareIndex);
        try {
          const before = new Map<TokenMode, Measurement>();
          for (const mode of modes) {
            const first = await run(bare, bareIndex, mode);
            bareRuns.get(mode)!.push(first);
            before.set(mode, first);
          }
          for (const index of roundOrder(others, round)) {
            const server = await ready(index);
            try {
              for (const mode of modes) {
                const measurement = await run(server, index, mode);
                const after = await run(bare, bareIndex, mode);
                bareRuns.get(mode)!.push(after);
                measured.set(`${defs[index]!.id}\0${mode}`, { measurement, ...againstNeighbours(measurement, before.get(mode)!, after) });
                before.set(mode, after);
              }
            } finally {
              await stopServer(server);
            }
          }
        } finally {
          await stopServer(bare);
        }
        perRound.push(measured);
        log(`B: ${framework}: round ${round + 1}/${options.rounds} done`);
      }
      {
        const bareId = defs[bareIndex]!.id;
        const normalised = (id: string, mode: TokenMode, round: Map<string, Normalised>): Omit<Normalised, 'measurement'> =>
          id === bareId ? { rps: 1, cpu: 1, addedCpuUs: 0 } : round.get(`${id}\0${mode}`)!;
        /** medians over rounds of (id ÷ baseId), both normalised to their neighbouring bare runs */
        const compare = (id: string, baseId: string, mode: TokenMode) => ({
          rps: median(perRound.map((round) => normalised(id, mode, round).rps / normalised(baseId, mode, round).rps)),
          cpu: median(perRound.map((round) => normalised(id, mode, round).cpu / normalised(baseId, mode, round).cpu)),
          addedCpuUs: median(perRound.map((round) => normalised(id, mode, round).addedCpuUs - normalised(baseId, mode, round).addedCpuUs)),
        });
        const addedCpu = (id: string, mode: TokenMode) => median(perRound.map((round) => normalised(id, mode, round).addedCpuUs));
        for (const def of defs) {
          for (const mode of MODES) {
            const list = def.impl === 'bare' ? bareRuns.get(mode)! : perRound.map((round) => round.get(`${def.id}\0${mode}`)!.measurement);
            const toBare = compare(def.id, bareId, mode);
            const toBaseline = def.baselineId === undefined ? undefined : compare(def.id, def.baselineId, mode);
            rows.push({
              id: def.id,
              framework,
              label: caseLabel(def),
              algorithm: def.algorithm ?? '—',
              mode,
              rps: median(list.map((m) => m.rps)),
              p99: median(list.map((m) => m.p99)),
              cpuUs: median(list.map((m) => m.cpuUs)),
              ratioToBare: toBare.rps,
              cpuRatioToBare: toBare.cpu,
              addedCpuUs: addedCpu(def.id, mode),
              ...(toBaseline === undefined
                ? {}
                : { ratioToBaseline: toBaseline.rps, cpuRatioToBaseline: toBaseline.cpu, addedCpuUsOverBaseline: toBaseline.addedCpuUs }),
              errors: list.reduce((sum, m) => sum + m.errors, 0),
              non2xx: list.reduce((sum, m) => sum + m.non2xx, 0),
            });
          }
        }
        for (const algorithm of ['RS256', 'HS256'] as const) {
          for (const peer of PEERS[framework]) {
            for (const mode of MODES) {
              const ours = `${framework}/jwt-guard/${algorithm}`;
              const theirs = `${framework}/${peer}/${algorithm}`;
              const { rps, cpu } = compare(ours, theirs, mode);
              versus.push({ framework, algorithm, mode, peer, ratio: rps, cpuRatio: cpu, oursAddedCpuUs: addedCpu(ours, mode), peerAddedCpuUs: addedCpu(theirs, mode) });
            }
          }
        }
      }
      for (const algorithm of ['RS256', 'HS256'] as const) {
        const index = defs.findIndex((def) => def.impl === 'jwt-guard' && def.algorithm === algorithm && def.revocation === undefined);
        const sameProcessOptions = { runs: options.rounds, duration: options.duration, warmup: options.warmup, connections: options.connections, smokeRequests: options.smokeRequests };
        sameProcess.push(await runSameProcess(configOf(defs[index]!), tokensOf[index]!, sameProcessOptions));
      }
      log(`B: ${framework}: same-process runs done`);
    }
  } finally {
    await redis?.stop();
    pinned.release();
  }
  return { rows, versus, sameProcess, notes };
}

export function partBMarkdown(result: PartBResult, options: PartBOptions): string {
  const signed = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${formatNumber(Math.abs(value))}` : 'n/a');
  const out: string[] = [];
  out.push('## B. HTTP throughput (autocannon)');
  out.push('');
  out.push(
    `Each server runs in its own node process; autocannon (in the bench process, same machine) drives it with ` +
      `${options.connections} connections, pipelining 1, for ${options.duration} s per run, ${options.rounds} rounds. In a round the bare server ` +
      `is started, then each case in a rotating order is started, checked (valid token 200, tampered 401; the no-op and bare servers answer both), warmed up with ${options.warmup} requests per token mode (at most 3 s), run in both modes and stopped — a fresh process per case and round, measured right after its warm-up. Every run is preceded by an unmeasured 1000-request pre-run. Route: \`GET /r\` → \`{"ok":true}\`. ` +
      '**reused**: every request carries the same valid token; **distinct**: each request takes the next token of a pool of ' +
      `${options.poolSize} pre-minted tokens per algorithm (one cursor per server, kept across runs). In each round and mode the ` +
      'bare server runs before the first case and after every case run; ' +
      '**×bare** = req/s ÷ the mean req/s of the two bare runs around it, median over rounds. **server CPU µs/req** is the ' +
      "server process's CPU time (all threads, from /proc) over the run ÷ requests completed; **+auth µs/req** is that minus the " +
      "neighbouring bare runs' — what the middleware costs per request. CPU per request barely moves when other processes compete " +
      'for the cores; req/s and p99 do (see the load average above). req/s, p99 and CPU are medians over rounds (bare: over all its runs).',
  );
  out.push('');
  const body = result.rows.map((row) => [
    row.framework,
    row.label,
    row.algorithm,
    row.mode,
    formatNumber(row.rps, 0),
    formatNumber(row.p99, 0),
    formatRatio(row.ratioToBare),
    formatNumber(row.cpuUs),
    row.label.startsWith('bare') ? '' : signed(row.addedCpuUs),
    formatRatio(row.cpuRatioToBare),
    row.errors + row.non2xx === 0 ? '' : `${row.errors} errors, ${row.non2xx} non-2xx`,
  ]);
  out.push(
    markdownTable(
      ['framework', 'case', 'alg', 'tokens', 'req/s', 'p99 ms', '×bare (req/s)', 'server CPU µs/req', '+auth µs/req', '×bare (CPU/req)', 'problems'],
      body,
      ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  out.push('');
  out.push('### jwt-guard against each peer');
  out.push('');
  out.push(
    'Each normalised to its neighbouring bare runs, median over rounds. **req/s ratio** >1: jwt-guard serves more; ' +
      '**CPU/req ratio** <1: jwt-guard costs the server less CPU per request.',
  );
  out.push('');
  out.push(
    markdownTable(
      ['framework', 'peer', 'alg', 'tokens', 'jwt-guard ÷ peer (req/s)', 'jwt-guard ÷ peer (CPU/req)', '+auth µs/req: jwt-guard', '+auth µs/req: peer'],
      result.versus.map((entry) => [
        entry.framework,
        entry.peer,
        entry.algorithm,
        entry.mode,
        formatRatio(entry.ratio),
        formatRatio(entry.cpuRatio),
        signed(entry.oursAddedCpuUs),
        signed(entry.peerAddedCpuUs),
      ]),
      ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(sameProcessMarkdown(result.sameProcess, { runs: options.rounds, duration: options.duration, warmup: options.warmup, connections: options.connections }));
  out.push('');
  out.push('### Revocation (Express, jwt-guard HS256, against the same guard without revocation)');
  out.push('');
  const revocationRows = result.rows.filter((row) => row.ratioToBaseline !== undefined);
  out.push(
    markdownTable(
      ['case', 'tokens', 'req/s', 'p99 ms', '× without (req/s)', '× without (CPU/req)', 'added µs/req'],
      revocationRows.map((row) => [
        row.label,
        row.mode,
        formatNumber(row.rps, 0),
        formatNumber(row.p99, 0),
        formatRatio(row.ratioToBaseline!),
        formatRatio(row.cpuRatioToBaseline!),
        signed(row.addedCpuUsOverBaseline!),
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(
    `The stores hold ${options.revokedJtis} revoked jtis (none of them the tokens sent), so every request is looked up and passes. ` +
      'Both ratios are taken between the two rows normalised to their own neighbouring bare runs.',
  );
  for (const note of result.notes) out.push('', `Note: ${note}`);
  out.push('');
  return out.join('\n');
}
