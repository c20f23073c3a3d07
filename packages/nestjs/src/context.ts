import type { ExecutionContext } from '@nestjs/common';
import { clientCertificateOf, configError, type AuthContext, type GuardRequest, type JwtGuardError } from '@jwt-guard/core';

/** Whether the handler is one the guard can read a request of. */
export function isHttpLike(context: ExecutionContext): boolean {
  const type = context.getType<string>();
  return type === 'http' || type === 'graphql';
}

/** What the guard reads and writes on a platform request (Express `req` or Fastify `request`). */
export interface PlatformRequest {
  method: string;
  url: string;
  originalUrl?: string;
  headers: GuardRequest['headers'];
  rawHeaders?: readonly string[];
  raw?: { rawHeaders?: readonly string[]; socket?: unknown };
  /** Express' `req.socket` (Fastify's is `raw.socket`): its TLS peer certificate, for certificate-bound tokens. */
  socket?: unknown;
  body?: unknown;
  /** Express `req.ip` (with `trust proxy`) or Fastify `request.ip` (with `trustProxy`). */
  ip?: string;
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
  const type = context.getType<string>();
  if (type !== 'http' && type !== 'graphql') {
    // A global guard also runs for WebSocket and microservice handlers: refuse rather than let them through unchecked.
    throw configError(`the JwtGuard guards HTTP and GraphQL handlers, not this ${type} handler; mark it (or its class) @Public().`);
  }
  if (type === 'graphql') {
    const gqlContext = context.getArgByIndex<{ req?: PlatformRequest; res?: PlatformResponse } | undefined>(2);
    const request = gqlContext?.req;
    if (request === undefined) throw new TypeError('@jwt-guard/nestjs: the GraphQL context has no `req`; give the driver `context: ({ req, res }) => ({ req, res })`.');
    return { request, response: gqlContext?.res };
  }
  const http = context.switchToHttp();
  return { request: http.getRequest<PlatformRequest>(), response: http.getResponse<PlatformResponse>() };
}

/** `withAddress`: the guard has detectors, which read the platform's `ip` (its proxy settings decide what it is). */
export function toGuardRequest(request: PlatformRequest, withAddress = false): GuardRequest {
  const guardRequest: GuardRequest = {
    method: request.method,
    url: request.originalUrl ?? request.url,
    headers: request.headers,
    rawHeaders: request.rawHeaders ?? request.raw?.rawHeaders,
    // Nest guards run after the platform parsed the body: csrf.token.fieldName can read a form field.
    body: request.body,
    // Undefined on a plain-HTTP socket; read only for a certificate-bound token.
    clientCertificate: clientCertificateOf(request.socket ?? request.raw?.socket),
  };
  return withAddress ? { ...guardRequest, clientAddress: () => request.ip } : guardRequest;
}
