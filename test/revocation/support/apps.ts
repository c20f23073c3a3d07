/** Starts fixtures/app.ts as separate processes and talks to them over HTTP. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestVerifierOptions } from '@jwt-guard/testing';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const fixture = fileURLToPath(new URL('../fixtures/app.ts', import.meta.url));

export interface AppOptions {
  name: string;
  redisUrl: string;
  keyPrefix: string;
  maxStaleness: string;
  whenUnavailable: 'fail-closed' | 'fail-open';
  verifierOptions: TestVerifierOptions;
}

export interface AppStatus {
  state: string;
  size: number;
  unavailable: Array<{ decision: string; jti?: string; sub?: string }>;
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
  };
  delete env.NODE_OPTIONS; // nothing of vitest's in the child
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
