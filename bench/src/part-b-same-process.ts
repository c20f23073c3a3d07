/**
 * Part B, same process: one server process serves `GET /r` without auth and `GET /g` behind
 * jwt-guard (the framework's own way to guard one route), and the two routes are run alternately
 * with a reused token. Both routes share the process, so the process-to-process spread of the
 * main table (a process settles faster or slower for its lifetime) cancels out of the ratio: this
 * is the steadier measure of what the guard adds to a request, next to the separate-process rows.
 */
import { formatNumber, formatRatio, markdownTable, median, tamper } from './common.js';
import { againstNeighbours, check, measuredRun, startServer, stopServer, warmUp, type Measurement, type ServerTokens } from './http-load.js';
import type { Framework, ServerConfig } from './server.js';

export interface SameProcessOptions {
  /** measured runs of the guarded route; the unguarded one runs before, between and after them */
  runs: number;
  /** seconds per measured run */
  duration: number;
  /** warm-up requests per route; 0: none */
  warmup: number;
  connections: number;
  /** --quick: each measured run is this many requests instead of `duration` seconds (a smoke run). */
  smokeRequests?: number | undefined;
}

export interface SameProcessRow {
  framework: Framework;
  algorithm: 'RS256' | 'HS256';
  /** medians over runs */
  bareRps: number;
  guardedRps: number;
  bareCpuUs: number;
  guardedCpuUs: number;
  /** median over the guarded runs of req/s ÷ the mean req/s of the unguarded runs around it */
  ratio: number;
  /** the same, of CPU per request minus the neighbours' mean: what the guard adds, µs */
  addedCpuUs: number;
  problems: number;
}

/** Runs /r, /g, /r, /g, …, /r on one jwt-guard server; `config` must have `impl: 'jwt-guard'`. */
export async function runSameProcess(config: ServerConfig, tokens: ServerTokens, options: SameProcessOptions): Promise<SameProcessRow> {
  const server = await startServer({ ...config, sameProcess: true });
  try {
    const id = `${config.framework}/jwt-guard/${config.algorithm} (same process)`;
    try {
      await check(server.port, tokens.single, 200, `${id}: /g, valid token`, '/g');
      await check(server.port, tamper(tokens.single), 401, `${id}: /g, tampered token`, '/g');
      await check(server.port, tamper(tokens.single), 200, `${id}: /r, no auth`, '/r');
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver stderr: ${server.stderr()}`);
    }
    for (const route of ['/r', '/g']) {
      if (options.warmup > 0) await warmUp(server, 'reused', tokens, options.warmup, options.connections, route);
    }
    const run = (route: string): Promise<Measurement> => measuredRun(server, 'reused', tokens, options, route);
    const bare: Measurement[] = [await run('/r')];
    const guarded: Measurement[] = [];
    const ratios: number[] = [];
    const added: number[] = [];
    for (let index = 0; index < options.runs; index++) {
      const measurement = await run('/g');
      const after = await run('/r');
      const { rps, addedCpuUs } = againstNeighbours(measurement, bare.at(-1)!, after);
      ratios.push(rps);
      added.push(addedCpuUs);
      guarded.push(measurement);
      bare.push(after);
    }
    return {
      framework: config.framework,
      algorithm: config.algorithm ?? 'RS256',
      bareRps: median(bare.map((m) => m.rps)),
      guardedRps: median(guarded.map((m) => m.rps)),
      bareCpuUs: median(bare.map((m) => m.cpuUs)),
      guardedCpuUs: median(guarded.map((m) => m.cpuUs)),
      ratio: median(ratios),
      addedCpuUs: median(added),
      problems: [...bare, ...guarded].reduce((sum, m) => sum + m.errors + m.non2xx, 0),
    };
  } finally {
    await stopServer(server);
  }
}

export function sameProcessMarkdown(rows: readonly SameProcessRow[], options: SameProcessOptions): string {
  const out: string[] = [];
  out.push('### Same process: a guarded route against an unguarded one (reused token)');
  out.push('');
  out.push(
    `One jwt-guard server per framework and algorithm serves \`GET /r\` without auth and \`GET /g\` behind the guard ` +
      '(Express: `app.get(\'/g\', jwtGuard(options), handler)`, routed after `/r`; Koa: `/r` answered by a middleware before the ' +
      'guard; Fastify: the guard registered in an encapsulated context holding `/g`). The routes run alternately, ' +
      `/r first and last, ${options.runs} runs of /g of ${options.duration} s, each after an unmeasured 1000-request pre-run. **×bare** is ` +
      'the median of each /g run\'s req/s ÷ the mean of the /r runs around it; **+auth µs/req** likewise of the CPU per request. ' +
      'Both routes share one process, so the spread between processes that the table above has to average out does not enter.',
  );
  out.push('');
  out.push(
    markdownTable(
      ['framework', 'alg', 'unguarded req/s', 'guarded req/s', '×bare (req/s)', 'unguarded CPU µs/req', 'guarded CPU µs/req', '+auth µs/req', 'problems'],
      rows.map((row) => [
        row.framework,
        row.algorithm,
        formatNumber(Math.round(row.bareRps)),
        formatNumber(Math.round(row.guardedRps)),
        formatRatio(row.ratio),
        formatNumber(row.bareCpuUs),
        formatNumber(row.guardedCpuUs),
        `${row.addedCpuUs >= 0 ? '+' : '−'}${formatNumber(Math.abs(row.addedCpuUs))}`,
        row.problems === 0 ? '' : `${row.problems} errors/non-2xx`,
      ]),
    ),
  );
  return out.join('\n');
}
