/**
 * `pnpm bench` (= `pnpm build`, then `node --expose-gc bin/run.mjs cli`): runs Part A (per-token
 * cost), Part B (HTTP), Part C (browser sessions), Part D (NestJS) and Part E (detectors), writes the markdown report to bench/REPORT.md and prints it. Flags:
 * {@link USAGE} (`--help`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_DIR, environmentLines, loadAverage, log, REPO_DIR } from './common.js';
import { partAMarkdown, runPartA, type PartAOptions, type PartAResult } from './part-a.js';
import { partBMarkdown, runPartB, type PartBOptions, type PartBResult } from './part-b.js';
import { partCMarkdown, runPartC, type PartCOptions, type PartCResult } from './part-c.js';
import { partDMarkdown, runPartD, type PartDOptions, type PartDResult } from './part-d.js';
import { partEMarkdown, runPartE, type PartEOptions, type PartEResult } from './part-e.js';
import { refreshMarkdown, runRefresh, type RefreshOptions, type RefreshRow } from './session-refresh.js';

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return number;
}

/** The bench measures the built packages: refuse to run on sources or on a missing build. */
function assertBuilt(): void {
  for (const name of ['core', 'express', 'koa', 'fastify', 'testing']) {
    let resolved: string;
    try {
      resolved = fileURLToPath(import.meta.resolve(`@jwt-guard/${name}`));
    } catch {
      resolved = '';
    }
    if (!resolved.includes(`${path.sep}dist${path.sep}`) || !existsSync(resolved)) {
      throw new Error(`@jwt-guard/${name} does not resolve to its build (${resolved || 'not found'}): run \`pnpm build\` first (or \`pnpm bench\`, which does).`);
    }
  }
}

const USAGE = `pnpm bench [flags]   (or: pnpm --filter @jwt-guard/bench run bench [flags], after pnpm build)
  --quick             tiny durations: a smoke run (numbers meaningless); each HTTP run is 200 requests
  --part A|B|C|D|E    only one part (default: all; C: browser sessions — the CSRF check's cost and the refresh endpoint's throughput, ~10 s;
                      D: NestJS on Express and Fastify — bare, a hand-written guard (the floor) and jwt-guard, CPU per request, ~3 min;
                      E: what the detectors add per request, ~5 s)
  --framework NAME    Part B: only express, koa or fastify (repeatable; default: all three)
  --duration S        seconds per HTTP run (default 1; --quick runs 200 requests instead)
  --rounds N          rounds, every part (default A 5, B 5, C 9, D 5, E 9; quick A 2, B 1, C 2, D 1, E 2)
  --repetitions N     Part D: repetitions per round, each running the three Nest apps once (default 4; quick 1)
  --batch-ms MS       Part A: target duration of one timed batch (default 120; quick 8)
  --warmup N          Parts B and D: warm-up requests per server (B: and token mode) (default 10000, at most 3 s; quick: none)
  --connections N     Part B: autocannon connections (default 32)
  --pool N            distinct tokens per algorithm (default 16384; quick 64 / 256)
  --out FILE          report path (default bench/REPORT.md)
  --json FILE         also write the raw results as JSON
`;

function frameworksOf(names: string[]): Array<'express' | 'koa' | 'fastify'> {
  return names.map((name) => {
    if (name !== 'express' && name !== 'koa' && name !== 'fastify') throw new Error(`--framework must be express, koa or fastify, not ${name}`);
    return name;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      part: { type: 'string' },
      framework: { type: 'string', multiple: true },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      repetitions: { type: 'string' },
      'batch-ms': { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      pool: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  assertBuilt();
  const quick = values.quick;
  const partFlag = values.part?.toUpperCase();
  if (partFlag !== undefined && !['A', 'B', 'C', 'D', 'E'].includes(partFlag)) throw new Error('--part must be A, B, C, D or E');
  const parts = partFlag === undefined ? ['A', 'B', 'C', 'D', 'E'] : [partFlag];
  const rounds = positive(values.rounds, 'rounds');
  const pool = positive(values.pool, 'pool');

  const optionsA: PartAOptions = {
    rounds: Math.round(rounds ?? (quick ? 2 : 5)),
    batchMs: positive(values['batch-ms'], 'batch-ms') ?? (quick ? 8 : 120),
    poolSize: Math.round(pool ?? (quick ? 64 : 16_384)),
  };
  const optionsB: PartBOptions = {
    rounds: Math.round(rounds ?? (quick ? 1 : 5)),
    duration: positive(values.duration, 'duration') ?? (quick ? 0.1 : 1),
    warmup: Math.round(positive(values.warmup, 'warmup') ?? (quick ? 0 : 10_000)),
    connections: Math.round(positive(values.connections, 'connections') ?? 32),
    poolSize: Math.round(pool ?? (quick ? 256 : 16_384)),
    revokedJtis: quick ? 100 : 10_000,
    smokeRequests: quick ? 200 : undefined,
    ...(values.framework === undefined ? {} : { frameworks: frameworksOf(values.framework) }),
  };
  const optionsC: PartCOptions = { rounds: Math.round(rounds ?? (quick ? 2 : 9)), iterations: quick ? 2_000 : 200_000 };
  const optionsD: PartDOptions = {
    rounds: Math.round(rounds ?? (quick ? 1 : 5)),
    repetitions: Math.round(positive(values.repetitions, 'repetitions') ?? (quick ? 1 : 4)),
    duration: optionsB.duration,
    warmup: optionsB.warmup,
    connections: optionsB.connections,
    smokeRequests: optionsB.smokeRequests,
  };
  // Quick runs still time ~20 ms per guard and round: the thread CPU clock (schedstat) advances in scheduler ticks, so 1 ms can read as 0.
  const optionsE: PartEOptions = { rounds: Math.round(rounds ?? (quick ? 2 : 9)), iterations: quick ? 50_000 : 200_000 };
  const optionsRefresh: RefreshOptions = { clients: 32, duration: quick ? 0.2 : 3 };
  const out = path.resolve(values.out ?? path.join(BENCH_DIR, 'REPORT.md'));

  const started = new Date();
  const loadBefore = loadAverage();
  const t0 = performance.now();
  let resultA: PartAResult | undefined;
  let resultB: PartBResult | undefined;
  let resultC: PartCResult | undefined;
  let resultRefresh: RefreshRow[] | undefined;
  let resultD: PartDResult | undefined;
  let resultE: PartEResult | undefined;
  if (parts.includes('A')) resultA = await runPartA(optionsA);
  if (parts.includes('B')) resultB = await runPartB(optionsB);
  if (parts.includes('C')) {
    resultC = await runPartC(optionsC);
    resultRefresh = await runRefresh(optionsRefresh);
  }
  if (parts.includes('D')) resultD = await runPartD(optionsD);
  if (parts.includes('E')) resultE = await runPartE(optionsE);
  const seconds = (performance.now() - t0) / 1000;

  let commit = 'unknown';
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = git('rev-parse', '--short', 'HEAD');
    if (git('status', '--porcelain', '--', 'packages') !== '') commit += ' + uncommitted changes in packages/';
  } catch {
    // not a git checkout
  }
  const report = [
    '# jwt-guard benchmark report',
    '',
    `${started.toISOString()} · commit ${commit}${quick ? ' · **--quick run: numbers are not meaningful**' : ''} · took ${seconds.toFixed(0)} s`,
    '',
    ...environmentLines().map((line) => `- ${line}`),
    `- load average (1/5/15 min) before: ${loadBefore}; after: ${loadAverage()} — the machine is shared, so absolute numbers drift; compare ratios`,
    `- settings: ${parts.includes('A') ? `A: ${optionsA.rounds} rounds × ~${optionsA.batchMs} ms batches, ${optionsA.poolSize} tokens/alg` : 'A: skipped'}; ` +
      `${parts.includes('B') ? `B: ${optionsB.rounds} rounds × ${optionsB.duration} s, ${optionsB.connections} connections, ${optionsB.poolSize} tokens/alg` : 'B: skipped'}; ` +
      `${parts.includes('D') ? `D: ${optionsD.rounds} rounds × ${optionsD.repetitions} repetitions × ${optionsD.duration} s, ${optionsD.connections} connections` : 'D: skipped'}`,
    '',
    ...(resultA === undefined ? [] : [partAMarkdown(resultA, optionsA)]),
    ...(resultB === undefined ? [] : [partBMarkdown(resultB, optionsB)]),
    ...(resultC === undefined ? [] : [partCMarkdown(resultC, optionsC)]),
    ...(resultRefresh === undefined ? [] : ['', refreshMarkdown(resultRefresh, optionsRefresh)]),
    ...(resultD === undefined ? [] : ['', partDMarkdown(resultD, optionsD)]),
    ...(resultE === undefined ? [] : ['', partEMarkdown(resultE, optionsE)]),
  ].join('\n');

  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, report);
  if (values.json !== undefined) {
    writeFileSync(path.resolve(values.json), JSON.stringify({ started, commit, quick, seconds, optionsA, optionsB, optionsC, optionsRefresh, optionsD, optionsE, partA: resultA, partB: resultB, partC: resultC, refresh: resultRefresh, partD: resultD, partE: resultE }, null, 2));
  }
  process.stdout.write(`${report}\n`);
  log(`report written to ${path.relative(process.cwd(), out) || out} (${seconds.toFixed(0)} s)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
