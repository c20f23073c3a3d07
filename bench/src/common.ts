/** Small helpers shared by both parts: statistics, CPU clocks, formatting, markdown tables. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/: the nearest directory above this file whose package.json is @jwt-guard/bench (this file runs compiled, from bench/node_modules/.cache). */
function findBenchDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === '@jwt-guard/bench') return dir;
    } catch {
      // no package.json here
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('bench: cannot find the @jwt-guard/bench directory');
    dir = parent;
  }
}

export const BENCH_DIR = findBenchDir();
export const REPO_DIR = path.dirname(BENCH_DIR);

export const ISSUER = 'https://issuer.bench.jwt-guard.test/';
export const AUDIENCE = 'https://api.bench.jwt-guard.test';

export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[middle]! : (finite[middle - 1]! + finite[middle]!) / 2;
}

/** The q-quantile (0..1) of the finite values, linearly interpolated; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const at = (finite.length - 1) * q;
  const low = Math.floor(at);
  return finite[low]! + (finite[Math.ceil(at)]! - finite[low]!) * (at - low);
}

/** `values` rotated left by `by`, reversed on odd rounds: each case runs early, late, before and after every other one. */
export function roundOrder<T>(values: readonly T[], round: number): T[] {
  const n = values.length;
  const rotated = values.map((_, index) => values[(index + round) % n]!);
  return round % 2 === 1 ? rotated.reverse() : rotated;
}

/** CPU time of the calling thread (the main thread, here) in ns, from the kernel's scheduler stats; undefined where unavailable. */
let schedstatWorks: boolean | undefined;
export function threadCpuNs(): number | undefined {
  if (schedstatWorks === false) return undefined;
  try {
    const text = readFileSync('/proc/thread-self/schedstat', 'latin1');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    schedstatWorks = Number.isFinite(ns);
    return schedstatWorks ? ns : undefined;
  } catch {
    schedstatWorks = false;
    return undefined;
  }
}

/** Total CPU of this process (every thread: main, libuv threadpool, V8 helpers), user + system, in µs. */
export function processCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

export function formatNumber(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const sep = header.map((_, index) => ((align?.[index] ?? 'l') === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `|${sep.join('|')}|`, ...rows.map(line)].join('\n');
}

export function environmentLines(): string[] {
  const cpuModel = (() => {
    try {
      const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((entry) => entry.startsWith('model name'));
      return line?.split(':')[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
    } catch {
      return os.cpus()[0]?.model ?? 'unknown';
    }
  })();
  return [
    `node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl}`,
    `CPU: ${cpuModel}, ${os.availableParallelism()} cores available; ${Math.round(os.totalmem() / 2 ** 30)} GiB memory`,
  ];
}

export function loadAverage(): string {
  return os.loadavg().map((value) => value.toFixed(2)).join(' / ');
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Changes one character in the middle of the signature: the token stays well-formed but must be refused. */
export function tamper(token: string): string {
  const dot = token.lastIndexOf('.');
  const at = dot + 1 + Math.floor((token.length - dot - 1) / 2);
  const replacement = token[at] === 'A' ? 'B' : 'A';
  return token.slice(0, at) + replacement + token.slice(at + 1);
}

/** Runs `tasks` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}

const startedAt = performance.now();
export function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${message}\n`);
}
