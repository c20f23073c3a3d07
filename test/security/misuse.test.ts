/**
 * The misuse table (misuse-cases.ts) against Express, Koa and Fastify. Each row starts its own app
 * per adapter (its options are the point of the row), sends its requests in order and checks every
 * answer; all three adapters must give the same status and code. Whatever an integrator's code does
 * — throw, reject, hang, send nothing — the process must not see an unhandled rejection or an
 * uncaught exception, and no request may hang.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtGuardError } from '@jwt-guard/core';
// The rows hand adapter options through (each framework's onError), which Nest apps do not take.
import { MIDDLEWARE_ADAPTERS as ADAPTERS, startApp, type MiddlewareAdapterName as AdapterName } from '../adapters/apps.js';
import { createFixtures } from '../adapters/cases.js';
import { MISUSE_CASES, type MisuseAnswer, type MisuseFixtures, type MisuseRequest } from './misuse-cases.js';

/** Longer than any answer should take: a request still open by then counts as hung. */
const HANG_MS = 4000;
/** What a leaked stack trace or internal error looks like. */
const INTERNALS = /\n\s+at |\bat [\w.<>]+ \(|TypeError|RangeError|SyntaxError|node_modules|\.ts:\d+|\.js:\d+/;

let fx: MisuseFixtures;
const deferred: (() => unknown)[] = [];
const processErrors: string[] = [];
const recordProcessError = (kind: string) => (error: unknown) => {
  processErrors.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
};
const onRejection = recordProcessError('unhandledRejection');
const onException = recordProcessError('uncaughtException');

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  fx = Object.assign(await createFixtures(), { defer: (close: () => unknown) => void deferred.push(close) });
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  for (const close of deferred.reverse()) await close();
  await fx?.close();
});

interface Seen {
  status: number | 'hung';
  code: string | undefined;
  text: string;
  body: unknown;
}

async function send(server: import('node:http').Server, req: MisuseRequest): Promise<Seen> {
  const method = (req.method ?? 'GET').toLowerCase() as 'get' | 'post' | 'options';
  let pending = request(server)[method](req.path).timeout({ response: HANG_MS });
  for (const [name, value] of Object.entries(req.headers ?? {})) pending = pending.set(name, value as string);
  try {
    const response = await pending;
    let body: unknown = response.text;
    try {
      body = JSON.parse(response.text);
    } catch {
      // not JSON
    }
    const code = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    const headerText = Object.entries(response.headers).map(([name, value]) => `${name}: ${String(value)}`).join('\n');
    return { status: response.status, code: typeof code === 'string' ? code : undefined, text: `${headerText}\n${response.text}`, body };
  } catch (error) {
    if ((error as { timeout?: unknown }).timeout !== undefined) return { status: 'hung', code: undefined, text: '', body: undefined };
    throw error;
  }
}

/** Lets stray promises of a hook or handler settle, so an unhandled rejection shows up in this row. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('misuse table: three adapters, fail closed at every seam', () => {
  it('pins every rule of SECURITY.md "Fail closed at every seam" with at least one row', () => {
    const rules = new Set(MISUSE_CASES.map((c) => c.rule));
    const missing = Array.from({ length: 15 }, (_, index) => index + 1).filter((rule) => !rules.has(rule));
    expect(missing, 'rules without a row').toEqual([]);
    const names = MISUSE_CASES.map((c) => `${c.rule}: ${c.name}`);
    expect(new Set(names).size, 'row names are unique').toBe(names.length);
  });

  it.each(MISUSE_CASES.map((c) => [`rule ${c.rule}: ${c.name}`, c] as const))('%s', async (_name, testCase) => {
    expect(testCase.startup === undefined, 'a row either refuses at start-up or has an exchange').toBe(testCase.exchange !== undefined);
    const exchange = testCase.exchange === undefined ? [] : await testCase.exchange(fx);
    const seen: Partial<Record<AdapterName, Seen[]>> = {};
    for (const adapter of ADAPTERS) {
      const before = processErrors.length;
      const options = await testCase.options(fx, adapter);
      const starting = startApp(adapter, options, { cookieParser: testCase.noCookieParser !== true });
      if (testCase.startup !== undefined) {
        const error: unknown = await starting.then(
          async (app) => {
            await app.close();
            return undefined;
          },
          (thrown: unknown) => thrown,
        );
        expect(error, `${adapter}: start-up must fail`).toBeInstanceOf(JwtGuardError);
        expect((error as JwtGuardError).code, adapter).toBe('config_invalid');
        expect((error as JwtGuardError).message, adapter).toMatch(testCase.startup);
        continue;
      }
      const app = await starting;
      const answers: Seen[] = [];
      try {
        for (const [index, [req, expected]] of exchange.entries()) {
          const where = `${adapter}, request ${index + 1} (${req.method ?? 'GET'} ${req.path.slice(0, 80)})`;
          const answer = await send(app.server, req);
          answers.push(answer);
          checkAnswer(answer, expected, where);
        }
        await settle();
        await testCase.after?.({ adapter, bodies: answers.map((answer) => answer.body) });
      } finally {
        await app.close();
      }
      await settle();
      expect(processErrors.slice(before), `${adapter}: the process saw unhandled errors`).toEqual([]);
      seen[adapter] = answers;
    }
    // One answer on every framework.
    if (testCase.exchange !== undefined) {
      const [first, ...rest] = ADAPTERS.map((adapter) => seen[adapter]!);
      for (const [index, other] of rest.entries()) {
        expect(other.map((a) => [a.status, a.code]), `${ADAPTERS[index + 1]} vs ${ADAPTERS[0]}`).toEqual(first!.map((a) => [a.status, a.code]));
      }
    }
  });
});

function checkAnswer(answer: Seen, expected: MisuseAnswer, where: string): void {
  expect(answer.status, `${where}: status (body ${answer.text.slice(-300)})`).toBe(expected.status);
  if (expected.code !== undefined) expect(answer.code, `${where}: error code`).toBe(expected.code);
  if (typeof answer.status === 'number' && answer.status >= 400) {
    expect(answer.text, `${where}: the response leaks internals`).not.toMatch(INTERNALS);
  }
  for (const secret of expected.mustNotContain ?? []) {
    expect(answer.text.includes(secret), `${where}: the response contains ${JSON.stringify(secret.slice(0, 24))}…`).toBe(false);
  }
}
