/**
 * The shape of one row of the misuse table (misuse-cases.ts): an integrator's mistake or a hostile
 * request at one of the seams around the verifier — hooks, `onError`, key resolvers, clocks,
 * secrets, cookies, cached verdicts — and the answer a fail-closed guard must give on every adapter.
 */
import type { ErrorCode, GuardOptions } from '@jwt-guard/core';
import type { MiddlewareAdapterName as AdapterName } from '../../adapters/apps.js';
import type { Fixtures } from '../../adapters/cases.js';

export interface MisuseFixtures extends Fixtures {
  /** Runs `close` when the suite ends (servers a case started, timers). */
  defer(close: () => unknown): void;
}

export interface MisuseRequest {
  method?: 'GET' | 'POST' | 'OPTIONS';
  /** Path and query, sent as is (percent-encoding included). */
  path: string;
  /**
   * Headers. An array value sends the header once per element (repeated headers, which Node would
   * otherwise join or keep the first of).
   */
  headers?: Record<string, string | string[]>;
}

/** What one request must get back. */
export interface MisuseAnswer {
  status: number;
  /** The `error` of the JSON body. */
  code?: ErrorCode;
  /** Texts the response (body and headers) must not contain: secrets, configuration, tokens. */
  mustNotContain?: readonly string[];
}

/** What the runner hands a case's own checks. */
export interface MisuseContext {
  adapter: AdapterName;
  /** Bodies (parsed JSON, else text) of the responses, in order. */
  bodies: unknown[];
}

export interface MisuseCase {
  /** The rule of SECURITY.md "Fail closed at every seam" this row pins (issue 12's item number, 1–15). */
  rule: number;
  name: string;
  /**
   * The guard's options on this adapter. `onError` is adapter-specific, hence the adapter argument;
   * it is passed through to the adapter unchanged. Called once per adapter, before the app starts.
   */
  options: (fx: MisuseFixtures, adapter: AdapterName) => GuardOptions | Promise<GuardOptions>;
  /** Start the app without a cookie parser (Express: no cookie-parser; Fastify: no @fastify/cookie). */
  noCookieParser?: boolean;
  /** Start-up must fail: `config_invalid` with a message matching this. No request is sent. */
  startup?: RegExp;
  /**
   * Requests sent in order to the same app, each with the answer it must get. The three adapters
   * must answer each one with the same status and code. Tokens are built once for all adapters.
   */
  exchange?: (fx: MisuseFixtures) => Promise<[MisuseRequest, MisuseAnswer][]> | [MisuseRequest, MisuseAnswer][];
  /** Checks after the exchange on one adapter (events a hook captured, for example). */
  after?: (context: MisuseContext) => void | Promise<void>;
}
