/**
 * The benchmark (bench/, `pnpm bench`) still runs: a `--quick` run (a few hundred ms per case)
 * completes and writes a report with every expected row. No number is asserted: timings on a
 * shared machine say nothing here; the full run is for people (bench/README.md).
 *
 * Runs the bench (bin/run.mjs cli) in a child process on the BUILT packages: needs `pnpm build` first (the
 * root `pnpm test` does that).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const benchDir = path.join(repo, 'bench');

const ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const PART_A_ROWS = (alg: string) => [
  'primitive (node:crypto)',
  'jose jwtVerify',
  'fast-jwt',
  'fast-jwt, cache hit',
  ...(alg === 'EdDSA' ? [] : ['jsonwebtoken']),
  'jwt-guard, uncached',
  'jwt-guard, uncached, 8 KiB token',
  ...HOSTILE_SHAPES.map((shape) => `jwt-guard, hostile: ${shape}`),
  'jwt-guard, cached',
  'jwt-guard ×16 concurrent',
  'jose jwtVerify ×16 concurrent',
];
const HOSTILE_SHAPES = ['deep nesting', 'deep objects', 'wide object', 'many escapes', 'huge number', 'duplicate names', 'not JSON', 'header: deep nesting', 'header: 32 values', 'header: 32 numbers'];
const PEERS = { express: ['express-jwt', 'express-oauth2-jwt-bearer'], koa: ['koa-jwt'], fastify: ['@fastify/jwt'] } as const;
const MODES = ['reused', 'distinct'] as const;
const NEST_PLATFORMS = ['express', 'fastify'] as const;
const NEST_ROWS = ['bare Nest (no auth)', 'hand-written guard, Map cache (floor)', 'jwt-guard JwtGuardModule.forRoot'];
const redisExpected = existsSync(path.join(repo, 'packages/redis/dist/index.js')) && existsSync('/usr/bin/redis-server');

interface Results {
  partA: {
    rows: { algorithm: string; label: string; wallUs: number; totalCpuUs: number; cpuRatio: number }[];
    hostile: { algorithm: string; shape: string; toLong: number; toValid: number }[];
  };
  partB: {
    rows: { framework: string; label: string; algorithm: string; mode: string; rps: number; p99: number; cpuUs: number; errors: number; non2xx: number }[];
    versus: unknown[];
    sameProcess: { framework: string; algorithm: string; bareRps: number; guardedRps: number; ratio: number; problems: number }[];
    notes: string[];
  };
  partE: { rows: { label: string; cpuUs: number; addedUs: number }[]; budgetUs: number };
  partD: {
    rows: { platform: string; variant: string; label: string; rps: number; cpuUs: number; cpuToFloor: number; runs: number; problems: number }[];
    notes: string[];
  };
}

let dir: string;
let report: string;
let results: Results;
let output: { code: number | null; stdout: string; stderr: string; ms: number };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jwt-guard-bench-'));
  const started = performance.now();
  output = await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', 'bin/run.mjs', 'cli', '--quick', '--out', path.join(dir, 'REPORT.md'), '--json', path.join(dir, 'results.json')],
      { cwd: benchDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
  if (output.code !== 0) throw new Error(`bench --quick exited with ${output.code}:\n${output.stderr.slice(-4000)}`);
  report = readFileSync(path.join(dir, 'REPORT.md'), 'utf8');
  results = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as Results;
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The markdown section whose heading starts with `heading`, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = report.indexOf(`\n${heading}`);
  expect(start, `report has "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0]!;
  const rest = report.slice(report.indexOf('\n', start + 1) + 1);
  const next = rest.search(new RegExp(`(^|\\n)#{1,${level.length}} `));
  return next === -1 ? rest : rest.slice(0, next);
}

describe('bench --quick', () => {
  it('completes, prints the report it writes, and does not touch bench/REPORT.md', () => {
    expect(output.stdout).toContain(report.trim());
    expect(report).toMatch(/^# jwt-guard benchmark report/);
    expect(report).toContain('--quick run');
    expect(report).toMatch(/node v\d+/);
  });

  it.each(ALGORITHMS)('Part A has every %s row', (alg) => {
    const table = section(`### ${alg}\n`);
    for (const label of PART_A_ROWS(alg)) expect(table, `${alg}: ${label}`).toContain(`\n| ${label} |`);
    const rows = results.partA.rows.filter((row) => row.algorithm === alg);
    expect(rows.map((row) => row.label)).toEqual(PART_A_ROWS(alg));
    for (const row of rows) {
      // Measured, whatever the value: a finite positive time per operation.
      expect(Number.isFinite(row.wallUs) && row.wallUs > 0, `${alg} ${row.label}`).toBe(true);
      expect(Number.isFinite(row.cpuRatio), `${alg} ${row.label}`).toBe(true);
    }
  });

  it('Part A compares every hostile shape with valid tokens, for every algorithm', () => {
    const table = section('### Hostile tokens against valid ones');
    for (const shape of HOSTILE_SHAPES) expect(table, shape).toContain(`\n| ${shape} |`);
    expect(results.partA.hostile).toHaveLength(HOSTILE_SHAPES.length * ALGORITHMS.length);
    for (const entry of results.partA.hostile) {
      expect(Number.isFinite(entry.toLong) && entry.toLong > 0 && Number.isFinite(entry.toValid), `${entry.algorithm} ${entry.shape}`).toBe(true);
    }
  });

  it('Part A compares jwt-guard with the primitive and each peer', () => {
    const table = section('### jwt-guard (uncached, sequential) against the others');
    for (const alg of ALGORITHMS) expect(table).toContain(`\n| ${alg} |`);
  });

  it.each(Object.keys(PEERS) as (keyof typeof PEERS)[])('Part B has every %s row, in both token modes', (framework) => {
    const table = section('## B. HTTP throughput (autocannon)');
    const expected: string[] = [];
    for (const mode of MODES) {
      expected.push(`| ${framework} | bare (no auth) | — | ${mode} |`);
      expected.push(`| ${framework} | no-op middleware (no auth) | — | ${mode} |`);
      for (const alg of ['RS256', 'HS256']) {
        expected.push(`| ${framework} | jwt-guard | ${alg} | ${mode} |`);
        for (const peer of PEERS[framework]) expected.push(`| ${framework} | ${peer} | ${alg} | ${mode} |`);
      }
    }
    for (const line of expected) expect(table, line).toContain(line);
    for (const row of results.partB.rows.filter((entry) => entry.framework === framework)) {
      expect(row.rps > 0 && row.cpuUs > 0, `${framework} ${row.label} ${row.algorithm} ${row.mode}`).toBe(true);
      expect(row.errors + row.non2xx, `${framework} ${row.label} ${row.algorithm} ${row.mode}: errors or non-2xx answers`).toBe(0);
    }
    const versus = section('### jwt-guard against each peer');
    for (const peer of PEERS[framework]) expect(versus).toContain(`| ${framework} | ${peer} |`);
  });

  it('Part B has a same-process row (guarded and unguarded route of one server) per framework and algorithm', () => {
    const table = section('### Same process: a guarded route against an unguarded one (reused token)');
    for (const framework of Object.keys(PEERS)) {
      for (const alg of ['RS256', 'HS256']) expect(table).toContain(`\n| ${framework} | ${alg} |`);
    }
    expect(results.partB.sameProcess).toHaveLength(6);
    for (const row of results.partB.sameProcess) {
      expect(row.bareRps > 0 && row.guardedRps > 0 && Number.isFinite(row.ratio), `${row.framework} ${row.algorithm}`).toBe(true);
      expect(row.problems, `${row.framework} ${row.algorithm}: errors or non-2xx answers`).toBe(0);
    }
  });

  it('Part B has the revocation rows (Redis: a row, or a note saying why not)', () => {
    const table = section('### Revocation');
    for (const mode of MODES) expect(table).toContain(`| jwt-guard + memoryRevocationStore | ${mode} |`);
    if (redisExpected) {
      for (const mode of MODES) expect(table).toContain(`| jwt-guard + redisRevocationStore | ${mode} |`);
    } else {
      expect(table).toContain('Note: Redis revocation row skipped');
    }
  });

  it.each(NEST_PLATFORMS)('Part D has the three Nest rows on @nestjs/platform-%s, measured without errors, and the jwt-guard ÷ floor ratio', (platform) => {
    const table = section('## D. NestJS');
    for (const label of NEST_ROWS) expect(table, `${platform}: ${label}`).toContain(`\n| ${platform} | ${label} |`);
    const rows = results.partD.rows.filter((row) => row.platform === platform);
    expect(rows.map((row) => row.label)).toEqual(NEST_ROWS);
    for (const row of rows) {
      expect(row.rps > 0 && row.cpuUs > 0 && row.runs > 0, `${platform} ${row.label}`).toBe(true);
      expect(row.problems, `${platform} ${row.label}: errors or non-2xx answers`).toBe(0);
    }
    expect(Number.isFinite(rows.find((row) => row.variant === 'jwt-guard')!.cpuToFloor)).toBe(true);
    expect(table).toMatch(new RegExp(`jwt-guard ÷ floor, server CPU per request \\(target ≤ 1\\.05×\\): .*${platform} \\d+\\.\\d\\d×`));
  });

  it('Part E has the detector rows, each measured, and the verdict against the 0.3 µs budget', () => {
    const table = section('## Part E: the detectors');
    const labels = ['no detectors', 'tokenShared', 'tokenShared + forgeryProbe (block-client)', 'tokenShared with maxUserAgents'];
    for (const label of labels) expect(table, label).toContain(`\n| ${label} |`);
    expect(results.partE.rows.map((row) => row.label)).toEqual(labels);
    for (const row of results.partE.rows) expect(row.cpuUs > 0 && Number.isFinite(row.addedUs), row.label).toBe(true);
    expect(results.partE.budgetUs).toBe(0.3);
    expect(table).toMatch(/Detectors on \(tokenShared, and tokenShared \+ forgeryProbe\): at most [+−]\d+\.\d{3} µs\/call — (within|\*\*over\*\*) the 0\.3 µs budget/);
  });
});
