// The shipped alert rules and dashboard, checked with the real promtool (Debian's prometheus package;
// scripts/ensure-services.sh installs it, or unpacks it into node_modules/.cache/prometheus).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import promClient, { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jwtGuard } from '@jwt-guard/fastify';
import { prometheusMetrics } from '@jwt-guard/metrics';
import { bearer, generateTestKeys, mintToken, serveJwks } from '@jwt-guard/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = join(packageDir, '..', '..');
const rulesFile = join(packageDir, 'prometheus', 'jwt-guard-alerts.yml');
const rulesTestFile = join(packageDir, 'prometheus', 'jwt-guard-alerts.test.yml');
const dashboardFile = join(packageDir, 'grafana', 'jwt-guard-dashboard.json');

/** PROMTOOL, else promtool on the PATH, else the copy ensure-services.sh unpacks when the install fails. */
function findPromtool(): string | undefined {
  const candidates = [
    process.env.PROMTOOL,
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'promtool')),
    join(repoDir, 'node_modules', '.cache', 'prometheus', 'usr', 'bin', 'promtool'),
  ];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

const promtool = findPromtool();
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (promtool === undefined && !inCi) {
  console.warn('promtool.test.ts: promtool not found, so the alert rules are NOT checked; run `bash scripts/ensure-services.sh` (or set PROMTOOL).');
}
// In CI a missing promtool is a failure, never a silent skip.
const withPromtool = promtool !== undefined || inCi ? describe : describe.skip;

function run(args: string[], input?: string): { status: number | null; output: string } {
  if (promtool === undefined) throw new Error('promtool is missing: run `bash scripts/ensure-services.sh` (it installs Debian\'s prometheus package) or set PROMTOOL.');
  const result = spawnSync(promtool, args, { cwd: join(packageDir, 'prometheus'), input, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The metric names an expression uses (ours all start with jwt_guard_). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bjwt_guard_[a-zA-Z0-9_]*/g)].map((match) => match[0]);
}

interface Rule {
  alert: string;
  expr: string;
}
/**
 * The alerts of the rules file and their expressions. The file is plain YAML written for this scan
 * (no dependency on a YAML parser): `- alert: Name`, then `expr: one line` or `expr: |` and an
 * indented block; `promtool check rules` proves the file is what Prometheus reads.
 */
function alertRules(): Rule[] {
  const lines = readFileSync(rulesFile, 'utf8').split('\n');
  const rules: Rule[] = [];
  lines.forEach((line, index) => {
    const alert = /^\s*- alert: (\S+)$/.exec(line)?.[1];
    if (alert === undefined) return;
    const exprAt = lines.findIndex((candidate, at) => at > index && /^\s*expr: /.test(candidate));
    const [, indent = '', value = ''] = /^(\s*)expr: (.*)$/.exec(lines[exprAt] ?? '') ?? [];
    if (value !== '|') {
      rules.push({ alert, expr: value });
      return;
    }
    const block: string[] = [];
    for (let at = exprAt + 1; at < lines.length && (lines[at] ?? '').search(/\S/) > indent.length; at++) block.push((lines[at] ?? '').trim());
    rules.push({ alert, expr: block.join('\n') });
  });
  return rules;
}

interface DashboardPanel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: DashboardPanel[];
}
function dashboardExprs(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: DashboardPanel[] };
  const exprs: Array<{ panel: string; expr: string }> = [];
  const visit = (panels: DashboardPanel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr !== undefined) exprs.push({ panel: panel.title ?? '?', expr: target.expr });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return exprs;
}

/** Grafana's interval variables, as Prometheus durations, so that promtool can parse the expressions. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '1h');
}

let exposition = '';
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  // Real requests through the Fastify guard, with keys from a JWKS server on 127.0.0.1.
  const keys = await generateTestKeys('RS256');
  const server = await serveJwks([keys.jwk]);
  cleanups.push(() => server.close());
  const issuer = 'https://issuer.jwt-guard.test/';
  const audience = 'https://api.jwt-guard.test';
  const registry = new Registry();
  const metrics = prometheusMetrics({ client: promClient, registry });
  const app = Fastify();
  cleanups.push(() => app.close());
  await app.register(jwtGuard, { jwksUri: server.url, issuer, audience, algorithms: ['RS256'], ...metrics.hooks });
  app.get('/orders', async () => []);
  const get = async (token: string) => (await app.inject({ url: '/orders', headers: bearer(token) })).statusCode;
  expect(await get(await mintToken(keys, {}, { issuer, audience }))).toBe(200);
  expect(await get(await mintToken(keys, {}, { issuer, audience, jti: null, expiresIn: '2h', header: { typ: null } }))).toBe(200);
  expect(await get(await mintToken(keys, {}, { issuer, audience, header: { kid: 'not-there' } }))).toBe(401);
  metrics.onDetection({ type: 'forgery_probe', action: 'none', actionFailed: false });
  exposition = await registry.metrics();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every name the registry exposes, with a histogram's _bucket, _sum and _count series. */
function exposedNames(): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

withPromtool('the alert rules and the dashboard, with the real promtool', () => {
  it('promtool is there (in CI, its absence fails this suite)', () => {
    expect(promtool, 'promtool not found: run `bash scripts/ensure-services.sh` or set PROMTOOL').toBeDefined();
    expect(execFileSync(promtool!, ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version/);
  });

  it('`promtool check rules` accepts the rules file', () => {
    const { status, output } = run(['check', 'rules', rulesFile]);
    expect(output).toMatch(/SUCCESS: 7 rules found/);
    expect(status, output).toBe(0);
  });

  it('`promtool test rules` passes the unit tests, which fire and spare each alert', () => {
    const { status, output } = run(['test', 'rules', rulesTestFile]);
    expect(status, output).toBe(0);
    expect(output).toMatch(/SUCCESS/);
    const tests = readFileSync(rulesTestFile, 'utf8');
    for (const { alert } of alertRules()) {
      // At least one evaluation expecting the alert, and one expecting none.
      const firing = new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`);
      const quiet = new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`);
      expect(tests, `${alert} is never expected to fire`).toMatch(firing);
      expect(tests, `${alert} is never expected to stay quiet`).toMatch(quiet);
    }
  });

  it('`promtool check metrics` accepts the exposition of real requests', () => {
    expect(exposition).toMatch(/^jwt_guard_tokens_verified_total\{/m);
    expect(exposition).toMatch(/^jwt_guard_key_source_events_total\{type="keys_fetched"/m);
    expect(exposition).toMatch(/^jwt_guard_key_source_events_total\{type="unknown_kid"/m);
    const { status, output } = run(['check', 'metrics'], exposition);
    expect(output.trim()).toBe('');
    expect(status, output).toBe(0);
  });

  it('every metric the rules and the dashboard use is one prometheusMetrics exposes', () => {
    const exposed = exposedNames();
    const rules = alertRules();
    expect(rules.map((rule) => rule.alert).sort()).toEqual(
      ['JwtGuardForgeryProbe', 'JwtGuardJwksFetchFailing', 'JwtGuardKeyNotRotated', 'JwtGuardLongLivedTokens', 'JwtGuardRefusalSpike', 'JwtGuardStaleKeysServed', 'JwtGuardTokenShared'],
    );
    const used = [...rules.map((rule) => ({ where: rule.alert, expr: rule.expr })), ...dashboardExprs().map((target) => ({ where: target.panel, expr: target.expr }))];
    for (const { where, expr } of used) {
      const names = metricNames(expr);
      expect(names.length, `${where}: no jwt_guard_ metric in ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${where} uses ${name}, which prometheusMetrics does not expose`).toBe(true);
    }
  });

  it("the dashboard's expressions are valid PromQL (`promtool check rules` on them as recording rules)", () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { schemaVersion: number; templating: { list: Array<{ type: string; query: string }> } };
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ type: 'datasource', query: 'prometheus' }));
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const dir = mkdtempSync(join(tmpdir(), 'jwt-guard-dashboard-'));
    try {
      const file = join(dir, 'dashboard-rules.yml');
      const rules = exprs.map(({ expr }, index) => `      - record: jwt_guard_dashboard:expr_${index}\n        expr: ${JSON.stringify(withoutGrafanaVariables(expr))}`);
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const { status, output } = run(['check', 'rules', file]);
      expect(status, output).toBe(0);
      expect(output).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
