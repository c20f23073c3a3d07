/** Starts fixtures/app.ts as separate processes and talks to them over HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TestVerifierOptions } from '@jwt-guard/testing';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const fixture = fileURLToPath(new URL('../fixtures/app.ts', import.meta.url));
const fakeClock = fileURLToPath(new URL('./fake-clock.ts', import.meta.url));

export interface AppOptions {
  name: string;
  /** May name a database: `redis://127.0.0.1:6379/2`. */
  redisUrl: string;
  keyPrefix: string;
  maxStaleness: string;
  whenUnavailable: 'fail-closed' | 'fail-open';
  verifierOptions: TestVerifierOptions;
  /** The store's `expiryMargin` (e.g. `'5m'`); absent: its default. */
  expiryMargin?: string;
  /** The store's `maxTokenLifetime` (e.g. `'5m'`); absent: its default. */
  maxTokenLifetime?: string;
  /** This process's clock runs this far ahead (negative: behind), by support/fake-clock.ts. */
  clockOffsetMs?: number;
}

export interface AppStatus {
  state: string;
  size: number;
  unavailable: Array<{ decision: string; jti?: string; sub?: string }>;
  /** `Date.now()` in the app: its (possibly shifted) clock. */
  now: number;
  /** `store.expiryMargin` in seconds; undefined where the store has none. */
  expiryMargin: number | undefined;
}

export interface AppProcess {
  name: string;
  url: string;
  /** Every JSON line the app printed (its store's events). */
  events: Array<Record<string, unknown>>;
  get(path: string, token?: string): Promise<AppResponse>;
  post(path: string, token: string, body: object): Promise<AppResponse>;
  status(): Promise<AppStatus>;
  stop(): Promise<void>;
}

export interface AppResponse {
  status: number;
  body: Record<string, unknown>;
  /** The app's clock when it received the request (ms, `performance.timeOrigin + performance.now()`). */
  receivedAt: number;
  /** Admin routes: the app's clock when the store's write had completed. */
  revokedAt: number | undefined;
}

async function call(url: string, init: RequestInit): Promise<AppResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  const revokedAt = response.headers.get('x-revoked-at');
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    receivedAt: Number(response.headers.get('x-received-at')),
    revokedAt: revokedAt === null ? undefined : Number(revokedAt),
  };
}

export async function startApp(options: AppOptions): Promise<AppProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: options.redisUrl,
    KEY_PREFIX: options.keyPrefix,
    MAX_STALENESS: options.maxStaleness,
    WHEN_UNAVAILABLE: options.whenUnavailable,
    VERIFIER_OPTIONS: JSON.stringify(options.verifierOptions),
    EXPIRY_MARGIN: options.expiryMargin ?? '',
    MAX_TOKEN_LIFETIME: options.maxTokenLifetime ?? '',
    CLOCK_OFFSET_MS: String(options.clockOffsetMs ?? 0),
  };
  delete env.NODE_OPTIONS; // nothing of vitest's in the child
  const preload = options.clockOffsetMs === undefined || options.clockOffsetMs === 0 ? [] : ['--import', fakeClock];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...preload, fixture], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const events: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`app ${options.name} did not start in 30 s:\n${stderr}`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app ${options.name} exited with ${code}:\n${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const event = JSON.parse(line) as Record<string, unknown>;
          events.push(event);
          if (event.type === 'listening') {
            clearTimeout(timer);
            resolve(Number(event.port));
          }
        } catch {
          events.push({ type: 'output', line });
        }
      }
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const auth = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` });
  return {
    name: options.name,
    url,
    events,
    get: (path, token) => call(url + path, { headers: auth(token) }),
    post: (path, token, body) =>
      call(url + path, { method: 'POST', headers: { ...auth(token), 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    status: async () => (await call(`${url}/status`, {})).body as unknown as AppStatus,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with `app`'s first event at index `since` or later that `match`es; rejects after `timeoutMs`. */
export async function waitForEvent(
  app: AppProcess,
  match: (event: Record<string, unknown>) => boolean,
  { since = 0, timeoutMs = 10_000 }: { since?: number; timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = app.events.slice(since).find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const seen = app.events.slice(since).map((event) => String(event.type));
      throw new Error(`${app.name}: no such event in ${timeoutMs} ms (events since: ${seen.join(', ') || 'none'})`);
    }
    await sleep(10);
  }
}

/** Polls `/status` until the store's state is `wanted`; rejects after `timeoutMs`. */
export async function waitForState(app: AppProcess, wanted: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { state } = await app.status();
    if (state === wanted) return;
    if (Date.now() > deadline) throw new Error(`${app.name} stayed ${state}, not ${wanted}, for ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Forces every app to reload from Redis: `CLIENT KILL TYPE pubsub` through `admin` drops the
 * stores' pub/sub connections; each reconnects and resyncs. Resolves once each of `apps` has
 * reported a completed load since (`synced`, or `restored` when it had to write its copy back)
 * and is live again.
 */
export async function forceResync(admin: { sendCommand(args: string[]): Promise<unknown> }, apps: AppProcess[], timeoutMs = 15_000): Promise<void> {
  const since = apps.map((app) => app.events.length);
  await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
  await Promise.all(
    apps.map(async (app, index) => {
      await waitForEvent(app, (event) => (event.type === 'synced' && event.initial === false) || event.type === 'restored', {
        since: since[index],
        timeoutMs,
      });
      await waitForState(app, 'live', timeoutMs);
    }),
  );
}

/** Polls `app` with `token` every ~10 ms until it answers other than 200; that answer, or the last 200 after `timeoutMs`. */
export async function awaitRefusal(app: AppProcess, token: string, timeoutMs = 5_000): Promise<AppResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await app.get('/me', token);
    if (response.status !== 200 || Date.now() > deadline) return response;
    await sleep(10);
  }
}
