/**
 * The processes and the load of Part B: server processes (src/server.ts) started, pinned, checked
 * and stopped; Redis for the revocation rows; autocannon runs with the server's CPU time per request.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BENCH_DIR } from './common.js';
import type { NestServerConfig } from './nest-common.js';
import type { ServerConfig } from './server.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Running {
  child: ChildProcess;
  port: number;
  /** the rest of the `LISTENING <port>` line (Part D's server names its other ports there) */
  listening: string;
  stderr: () => string;
}

/** server.ts, compiled next to this file by bin/run.mjs. */
const SERVER_FILE = fileURLToPath(new URL('./server.js', import.meta.url));

/**
 * CPU pinning: the server under test on one core, the load generator (this process, autocannon) on
 * another. Unpinned, the scheduler moves both around, and whether they share a core changes a
 * server's CPU per request by up to 2× from one run to the next; pinned, runs of the same server
 * agree within a few per cent. Needs `taskset` (util-linux) and two cores; otherwise nothing is pinned.
 */
export interface Pinning {
  serverCpu: number;
  loadCpu: number;
}

export function pinningFor(cores: number): Pinning | undefined {
  if (cores < 2 || spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  return { serverCpu: 0, loadCpu: 1 };
}

/** Pins every thread of this process (autocannon's and V8's) to `cpus`; returns whether it worked. */
export function pinSelf(cpus: string): boolean {
  return spawnSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

let pinning: Pinning | undefined;

/** Servers started from now on are pinned so (undefined: not pinned). */
export function pinServers(value: Pinning | undefined): void {
  pinning = value;
}

/**
 * Pins this process (the load generator) and, from now on, the servers it starts, where it can;
 * `note` says what was done, for the report; `release` unpins this process again.
 */
export function pinForLoad(): { note: string; release: () => void } {
  const cores = os.availableParallelism();
  let chosen = pinningFor(cores);
  if (chosen !== undefined && !pinSelf(String(chosen.loadCpu))) chosen = undefined;
  pinServers(chosen);
  const note =
    chosen === undefined
      ? `CPU pinning: off (${cores < 2 ? 'one core' : 'taskset not available'}); the scheduler placed servers and the load generator.`
      : `CPU pinning: each server on CPU ${chosen.serverCpu}, the load generator (autocannon, in the bench process) on CPU ${chosen.loadCpu} (taskset).`;
  return {
    note,
    release: () => {
      if (chosen !== undefined) pinSelf(`0-${cores - 1}`);
      pinServers(undefined);
    },
  };
}

/** `file`: the compiled server entry (server.js; Part D: nest-server.js); `label` names it in errors. */
export async function startServer(
  config: ServerConfig | NestServerConfig,
  file = SERVER_FILE,
  label = 'framework' in config ? `${config.framework}/${config.impl}` : `nest/${config.platform}`,
): Promise<Running> {
  const command = pinning === undefined ? [process.execPath, file] : ['taskset', '-c', String(pinning.serverCpu), process.execPath, file];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: BENCH_DIR,
    env: { ...process.env, NODE_ENV: 'production', BENCH_SERVER: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  const [port, listening] = await new Promise<[number, string]>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`server ${label} did not start in 30 s: ${stderr}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /LISTENING (\d+)(.*)\n/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve([Number(match[1]), match[2]!.trim()]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${label} exited (${code}) before listening: ${stderr}`));
    });
  });
  return { child, port, listening, stderr: () => stderr };
}

export async function stopServer(running: Running): Promise<void> {
  if (running.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
  running.child.stdin!.end();
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function check(port: number, token: string, expected: number, what: string, route = '/r'): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.text();
  if (response.status !== expected) throw new Error(`${what}: expected ${expected}, got ${response.status} ${body.slice(0, 200)}`);
}

export interface Measurement {
  /** requests completed */
  requests: number;
  rps: number;
  p99: number;
  /** CPU time of the whole server process (all its threads) per completed request, µs */
  cpuUs: number;
  errors: number;
  non2xx: number;
}

/**
 * CPU time used so far by every thread of process `pid`, in ns: the scheduler's run time of each
 * task (/proc/PID/task/TID/schedstat). Unlike req/s, CPU per request hardly moves when other
 * processes compete for the cores — the point on a shared machine.
 */
function processCpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1');
      total += Number(text.slice(0, text.indexOf(' ')));
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

export type TokenMode = 'reused' | 'distinct';

/** The tokens of one server: a single reused one, and a pool with its own cursor. */
export interface ServerTokens {
  single: string;
  pool: readonly string[];
  cursor: { next: number };
}

/** `requests` requests in chunks, stopping early after 3 s (the slowest middleware). */
export async function warmUp(server: Running, mode: TokenMode, tokens: ServerTokens, requests: number, connections: number, route = '/r'): Promise<void> {
  const until = performance.now() + 3000;
  for (let sent = 0; sent < requests && performance.now() < until; sent += 2000) {
    await load(server, mode, tokens, { requests: Math.min(2000, requests - sent) }, connections, route);
  }
}

/** A reused token: one prebuilt request. Distinct tokens: each request takes the next token of the pool (one cursor per server, kept across runs). */
export async function load(
  server: Running,
  mode: TokenMode,
  tokens: ServerTokens,
  length: { seconds: number } | { requests: number },
  connections: number,
  route = '/r',
): Promise<Measurement> {
  // sampleInt: autocannon stops only on a sample tick (default every 1000 ms), which would round every run up to whole seconds.
  const base = {
    url: `http://127.0.0.1:${server.port}`,
    connections,
    pipelining: 1,
    sampleInt: 50,
    ...('seconds' in length ? { duration: length.seconds } : { amount: length.requests }),
  };
  const options: autocannon.Options =
    mode === 'reused'
      ? { ...base, requests: [{ method: 'GET', path: route, headers: { authorization: `Bearer ${tokens.single}` } }] }
      : {
          ...base,
          requests: [
            {
              method: 'GET',
              path: route,
              setupRequest: (request) => {
                const token = tokens.pool[tokens.cursor.next]!;
                tokens.cursor.next = (tokens.cursor.next + 1) % tokens.pool.length;
                return { ...request, headers: { authorization: `Bearer ${token}` } };
              },
            },
          ],
        };
  const cpu0 = processCpuNs(server.child.pid!);
  const result = await autocannon(options);
  const cpu1 = processCpuNs(server.child.pid!);
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    cpuUs: (cpu1 - cpu0) / 1000 / Math.max(1, result.requests.total),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}


/**
 * One measured run of `seconds`, after an unmeasured pre-run of 1000 requests (when warming up at
 * all): a server or route that just waited — while another case started, warmed up or ran — is
 * brought back to its steady state first, so no run pays for having waited its turn.
 */
export async function measuredRun(
  server: Running,
  mode: TokenMode,
  tokens: ServerTokens,
  options: { warmup: number; duration: number; connections: number; smokeRequests?: number | undefined },
  route = '/r',
): Promise<Measurement> {
  if (options.warmup > 0) await load(server, mode, tokens, { requests: 1000 }, options.connections, route);
  // --quick: a fixed count, so that a cold server on a busy machine still answers some requests in its run.
  const length = options.smokeRequests === undefined ? { seconds: options.duration } : { requests: options.smokeRequests };
  return load(server, mode, tokens, length, options.connections, route);
}

/** A run against the mean of the bare runs just before and after it (load drifting over tens of seconds cancels out). */
export function againstNeighbours(
  measurement: Measurement,
  before: Measurement,
  after: Measurement,
): { rps: number; cpu: number; addedCpuUs: number } {
  const bareRps = (before.rps + after.rps) / 2;
  const bareCpu = (before.cpuUs + after.cpuUs) / 2;
  return { rps: measurement.rps / bareRps, cpu: measurement.cpuUs / bareCpu, addedCpuUs: measurement.cpuUs - bareCpu };
}
