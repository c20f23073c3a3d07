import type { Context, Middleware, Next } from 'koa';
import { appendVary, configError } from '@jwt-guard/core';
import { readBodyStream } from './read-body.js';
import { type EndpointResponse, type SessionEndpointName, type SessionEndpoints } from './endpoints.js';

export interface SessionRoutesOptions {
  /** Where the three routes live: `<prefix>/login`, `/refresh`, `/logout`. Default `'/auth'`, the refresh cookie's default path. */
  prefix?: string;
}

/**
 * A middleware answering POST `<prefix>/login`, `/refresh` and `/logout` of `endpoints` (other
 * methods: 405); every other path goes on to `next`. Reads `ctx.request.body` if a JSON body parser
 * ran before it, else the raw body.
 */
export function sessionRoutes(endpoints: SessionEndpoints, options: SessionRoutesOptions = {}): Middleware {
  const prefix = options.prefix ?? '/auth';
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || prefix.endsWith('/')) {
    throw configError(`sessionRoutes: prefix must start with "/" and not end with one, such as "/auth"; got ${JSON.stringify(prefix)}.`);
  }
  const routes = new Map<string, SessionEndpointName>((['login', 'refresh', 'logout'] as const).map((name) => [`${prefix}/${name}`, name]));
  return async (ctx: Context, next: Next): Promise<void> => {
    const name = routes.get(ctx.path);
    // A CORS preflight belongs to the CORS middleware, not to a 405.
    if (name === undefined || ctx.method === 'OPTIONS') {
      await next();
      return;
    }
    const parsed = (ctx.request as { body?: unknown }).body;
    const answer = await endpoints[name]({
      method: ctx.method,
      url: ctx.originalUrl,
      headers: ctx.headers,
      rawHeaders: ctx.req.rawHeaders,
      body: ctx.is('application/json') === false ? undefined : parsed,
      readBody: (maxBytes) => readBodyStream(ctx.req, maxBytes),
    });
    send(ctx, answer);
  };
}

function send(ctx: Context, answer: EndpointResponse): void {
  ctx.status = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) {
    ctx.set(name, name === 'vary' ? appendVary(ctx.response.get('vary'), String(value)) : value);
  }
  ctx.body = answer.status === 204 ? null : answer.body;
}
