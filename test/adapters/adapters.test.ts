import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from './apps.js';
import { CASES, configFor, createFixtures, type CaseRequest, type ConfigName, type Fixtures } from './cases.js';

interface Observed {
  status: number;
  wwwAuthenticate: string | undefined;
  contentType: string | undefined;
  vary: string | undefined;
  body: string;
}

let fixtures: Fixtures;
const apps = new Map<string, TestApp>();

async function appFor(adapter: AdapterName, config: ConfigName): Promise<TestApp> {
  const key = `${adapter}:${config}`;
  let app = apps.get(key);
  if (app === undefined) {
    app = await startApp(adapter, configFor(config, fixtures));
    apps.set(key, app);
  }
  return app;
}

async function send(app: TestApp, req: CaseRequest): Promise<Observed> {
  const agent = request(app.server);
  const method = (req.method ?? 'GET').toLowerCase() as 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete' | 'options';
  let pending = agent[method](req.path);
  for (const [name, value] of Object.entries(req.headers ?? {})) pending = pending.set(name, value);
  if (req.body !== undefined) pending = pending.send(req.body);
  const response = await pending;
  return {
    status: response.status,
    wwwAuthenticate: response.headers['www-authenticate'],
    contentType: response.headers['content-type'],
    vary: response.headers.vary,
    body: response.text,
  };
}

beforeAll(async () => {
  fixtures = await createFixtures();
});

afterAll(async () => {
  await Promise.all([...apps.values()].map((app) => app.close()));
  await fixtures?.close();
});

describe('one table of cases, every adapter, one answer', () => {
  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    // One request, built once, sent to every adapter: the token is byte-identical for all of them.
    const req = await testCase.request(fixtures);
    const observed = {} as Record<AdapterName, Observed>;
    for (const adapter of ADAPTERS) observed[adapter] = await send(await appFor(adapter, testCase.config), req);

    for (const adapter of ADAPTERS) {
      const seen = observed[adapter];
      expect(seen.status, `${adapter} status`).toBe(testCase.status);
      if (testCase.code !== undefined) {
        expect(seen.contentType, `${adapter} content-type`).toBe('application/json; charset=utf-8');
        const body = JSON.parse(seen.body) as { error: string; error_description: string };
        expect(body.error, `${adapter} error code`).toBe(testCase.code);
        expect(typeof body.error_description).toBe('string');
        // Nothing of the token may come back in a refusal.
        const token = req.headers?.authorization?.replace(/^bearer\s+/i, '') ?? /access_token=([^;]+)/.exec(req.headers?.cookie ?? '')?.[1];
        if (token && token.length > 20) {
          expect(seen.body).not.toContain(token);
          expect(seen.wwwAuthenticate ?? '').not.toContain(token);
        }
      }
      if (testCase.body !== undefined) expect(JSON.parse(seen.body), `${adapter} body`).toEqual(testCase.body);
      if (testCase.wwwAuthenticate === null) expect(seen.wwwAuthenticate).toBeUndefined();
      else if (typeof testCase.wwwAuthenticate === 'string') expect(seen.wwwAuthenticate, `${adapter} WWW-Authenticate`).toBe(testCase.wwwAuthenticate);
      else if (testCase.wwwAuthenticate instanceof RegExp) expect(seen.wwwAuthenticate, `${adapter} WWW-Authenticate`).toMatch(testCase.wwwAuthenticate);
      if (testCase.vary === null) expect(seen.vary, `${adapter} Vary`).toBeUndefined();
      else if (testCase.vary !== undefined) expect(seen.vary, `${adapter} Vary`).toBe(testCase.vary);
      if (testCase.status === 401) expect(seen.wwwAuthenticate, `${adapter}: a 401 always challenges`).toMatch(/^Bearer/);
    }

    // Refusals are byte for byte the same on every framework: status, challenge, body.
    if (testCase.code !== undefined) {
      const [first, ...rest] = ADAPTERS.map((adapter) => observed[adapter]);
      for (const other of rest) {
        expect(other.status).toBe(first!.status);
        expect(other.wwwAuthenticate).toBe(first!.wwwAuthenticate);
        expect(other.vary).toBe(first!.vary);
        expect(other.body).toBe(first!.body);
      }
    }
  });
});
