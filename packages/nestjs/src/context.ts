import type { ExecutionContext } from '@nestjs/common';
import type { GuardRequest, JwtGuardError } from '@jwt-guard/core';
import type { AuthContext } from '@jwt-guard/core';

/** What the guard reads and writes on a platform request (Express `req` or Fastify `request`). */
export interface PlatformRequest {
  method: string;
  url: string;
  originalUrl?: string;
  headers: GuardRequest['headers'];
  rawHeaders?: readonly string[];
  raw?: { rawHeaders?: readonly string[] };
  body?: unknown;
  auth?: AuthContext;
  authError?: JwtGuardError;
}

/** What the guard needs of a platform response: Express' `res` and Fastify's `reply` both have these. */
export interface PlatformResponse {
  header(name: string, value: string): unknown;
  getHeader(name: string): string | number | readonly string[] | undefined;
}

export interface HttpPair {
  request: PlatformRequest;
  /** Undefined in a GraphQL context that does not carry the response. */
  response: PlatformResponse | undefined;
}

/**
 * The platform request and response of a handler call. For GraphQL the third resolver argument is
 * the context `GqlExecutionContext.getContext()` returns, read directly: apps without GraphQL never
 * load @nestjs/graphql, and apps with it need nothing more.
 */
export function httpOf(context: ExecutionContext): HttpPair {
  if (context.getType<string>() === 'graphql') {
    const gqlContext = context.getArgByIndex<{ req?: PlatformRequest; res?: PlatformResponse } | undefined>(2);
    const request = gqlContext?.req;
    if (request === undefined) throw new TypeError('@jwt-guard/nestjs: the GraphQL context has no `req`; give the driver `context: ({ req, res }) => ({ req, res })`.');
    return { request, response: gqlContext?.res };
  }
  const http = context.switchToHttp();
  return { request: http.getRequest<PlatformRequest>(), response: http.getResponse<PlatformResponse>() };
}

export function toGuardRequest(request: PlatformRequest): GuardRequest {
  return {
    method: request.method,
    url: request.originalUrl ?? request.url,
    headers: request.headers,
    rawHeaders: request.rawHeaders ?? request.raw?.rawHeaders,
  };
}
