/**
 * `pnpm --filter @jwt-guard/bench run profile --nest express,fastify [--seconds S]`: where Part D's
 * jwt-guard row spends its CPU next to the floor's. One Nest server process per platform (Part D's
 * src/nest-server.ts, pinned like Part D), both guard apps warmed up, then each loaded for S seconds
 * with the reused token while V8's CPU profiler runs (started and stopped over stdin, so start-up
 * and warm-up stay out). Self time per request, by function and by file, the two apps side by side.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, formatNumber, markdownTable } from './common.js';
import { load, pinForLoad, stopServer, warmUp, type Running, type ServerTokens } from './http-load.js';
import type { NestPlatform, NestVariant } from './nest-common.js';
import { scopedToken, startNestServer } from './part-d.js';
import { selfTimes, type CpuProfile } from './profile-summary.js';
import { keysFor } from './tokens.js';

const PROFILED: readonly NestVariant[] = ['floor', 'jwt-guard'];

/** Self times without `(idle)`: the server waiting for requests is no cost of theirs. */
function busyTimes(profile: CpuProfile): Omit<PerRequest, 'requests'> {
  const { byFunction, byFile, total } = selfTimes(profile);
  const idle = byFunction.get('(idle)') ?? 0;
  byFunction.delete('(idle)');
  byFile.delete('(idle)');
  return { byFunction, byFile, total: total - idle };
}

/** Sends one stdin command and waits for its answer line on stdout. */
function command(server: Running, line: string, answer: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${answer} from the server: ${server.stderr()}`)), 30_000);
    const onData = (chunk: string) => {
      if (!chunk.includes(answer)) return;
      clearTimeout(timer);
      server.child.stdout!.off('data', onData);
      resolve();
    };
    server.child.stdout!.on('data', onData);
    server.child.stdin!.write(`${line}\n`);
  });
}

interface PerRequest {
  requests: number;
  byFunction: Map<string, number>;
  byFile: Map<string, number>;
  total: number;
}

function sideBySide(results: Map<NestVariant, PerRequest>, key: 'byFunction' | 'byFile', label: string, top: number): string {
  const floor = results.get('floor')!;
  const ours = results.get('jwt-guard')!;
  const perRequest = (entry: PerRequest, name: string) => (entry[key].get(name) ?? 0) / entry.requests;
  const names = new Set([...floor[key].keys(), ...ours[key].keys()]);
  // Sorted by what jwt-guard spends beyond the floor: where the difference is.
  const rows = [...names]
    .map((name) => ({ name, floor: perRequest(floor, name), ours: perRequest(ours, name) }))
    .sort((a, b) => Math.abs(b.ours - b.floor) - Math.abs(a.ours - a.floor))
    .slice(0, top);
  return markdownTable(
    [label, 'floor µs/req', 'jwt-guard µs/req', 'difference'],
    rows.map((row) => [row.name, formatNumber(row.floor, 2), formatNumber(row.ours, 2), `${row.ours >= row.floor ? '+' : '−'}${formatNumber(Math.abs(row.ours - row.floor), 2)}`]),
    ['l', 'r', 'r', 'r'],
  );
}

export async function profileNest(platforms: readonly NestPlatform[], seconds: number): Promise<string> {
  const keys = await keysFor('RS256');
  const token = await scopedToken(keys);
  const tokens: ServerTokens = { single: token, pool: [token], cursor: { next: 0 } };
  const dir = path.join(BENCH_DIR, 'profiles', 'nest');
  mkdirSync(dir, { recursive: true });
  const pinned = pinForLoad();
  const out: string[] = [`${pinned.note}`];
  try {
    for (const platform of platforms) {
      const { running: server, ports } = await startNestServer(keys, platform, true);
      const results = new Map<NestVariant, PerRequest>();
      try {
        if (!ports.has('jwt-guard')) throw new Error('@jwt-guard/nestjs is not built: run `pnpm build`');
        const at = (variant: NestVariant): Running => ({ ...server, port: ports.get(variant)! });
        for (const variant of PROFILED) await warmUp(at(variant), 'reused', tokens, 20_000, 32);
        for (const variant of PROFILED) {
          const file = path.join(dir, `${platform}-${variant}.cpuprofile`);
          await command(server, 'profile-start', 'PROFILING');
          const measurement = await load(at(variant), 'reused', tokens, { seconds }, 32);
          await command(server, `profile-stop ${file}`, 'PROFILED');
          if (measurement.errors + measurement.non2xx > 0) throw new Error(`${platform}/${variant}: ${measurement.errors} errors, ${measurement.non2xx} non-2xx`);
          results.set(variant, { requests: measurement.requests, ...busyTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile) });
        }
      } finally {
        await stopServer(server);
      }
      const floor = results.get('floor')!;
      const ours = results.get('jwt-guard')!;
      out.push(
        '',
        `## nest/${platform}: floor against jwt-guard, reused token, ${seconds} s each under the profiler`,
        '',
        `Profiled main-thread time per request (busy, without \`(idle)\`): floor ${formatNumber(floor.total / floor.requests, 2)} µs (${floor.requests} requests), ` +
          `jwt-guard ${formatNumber(ours.total / ours.requests, 2)} µs (${ours.requests} requests). Profiles: bench/profiles/nest/${platform}-*.cpuprofile`,
        '',
        sideBySide(results, 'byFunction', 'function (self time)', 25),
        '',
        sideBySide(results, 'byFile', 'file / category (self time)', 15),
      );
    }
  } finally {
    pinned.release();
  }
  return out.join('\n');
}
