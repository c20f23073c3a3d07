/**
 * A real redis-server per test file, started by the tests themselves on a free port of
 * 127.0.0.1, without persistence; killed and restarted on the same port to simulate outages.
 * Extra server arguments (`{ args: ['--maxmemory-policy', 'allkeys-lru', '--maxmemory', '4mb'] }`)
 * come after the defaults, so they win, and apply to every restart too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const INSTALL_HINT =
  'These tests run against a real Redis that they start themselves. Install it with ' +
  '`apt-get install -y redis-server` (sudo if not root), or point REDIS_SERVER at a redis-server binary.';

/** The redis-server binary: $REDIS_SERVER, /usr/bin/redis-server, or the first on PATH. */
export function redisServerBinary(): string {
  const candidates = [
    process.env.REDIS_SERVER,
    '/usr/bin/redis-server',
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'redis-server')),
  ];
  const found = candidates.find((candidate): candidate is string => candidate !== undefined && candidate !== '' && existsSync(candidate));
  if (found === undefined) throw new Error(`redis-server not found (looked for /usr/bin/redis-server and on PATH). ${INSTALL_HINT}`);
  return found;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Sends PING on a fresh connection: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** True while the process runs. */
  readonly running: boolean;
  /** Kills the process (SIGKILL by default: a crash, nothing saved) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: it runs without persistence). */
  restart(): Promise<void>;
  /** Kills it for good (afterAll). */
  stop(): Promise<void>;
}

const everyServer = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of everyServer) child.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** More redis-server arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  args?: readonly string[];
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  const extraArgs = options.args ?? [];
  let child: ChildProcess | undefined;
  let port = 0;

  async function launch(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...extraArgs];
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    everyServer.add(proc);
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('exit', () => everyServer.delete(proc));
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await ping(port)) return;
      const failed = await Promise.race([spawnError, sleep(25).then(() => undefined)]);
      if (failed !== undefined) throw new Error(`could not start ${binary}: ${failed.message}. ${INSTALL_HINT}`);
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not come up (exit code ${proc.exitCode}):\n${output}`);
      }
    }
  }

  // A port found free may be taken before redis-server binds it (another test file): try again.
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }

  async function kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: () => kill(),
  };
}
