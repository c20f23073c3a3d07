import { Router, type Request, type Response, type NextFunction } from 'express';
import { appendVary } from '@jwt-guard/core';
import { readBodyStream } from './read-body.js';
import { type EndpointRequest, type EndpointResponse, type SessionEndpointName, type SessionEndpoints } from './endpoints.js';

/**
 * POST /login, /refresh and /logout of `endpoints` (other methods: 405), for
 * `app.use('/auth', sessionRoutes(endpoints))`: mount it where the refresh cookie's path points
 * (default `/auth`). Reads `req.body` if a JSON parser ran before it, else the raw body.
 */
export function sessionRoutes(endpoints: SessionEndpoints): Router {
  const router = Router();
  for (const name of ['login', 'refresh', 'logout'] as const satisfies readonly SessionEndpointName[]) {
    router.all(`/${name}`, (req: Request, res: Response, next: NextFunction) => {
      // A CORS preflight belongs to the CORS middleware, not to a 405.
      if (req.method === 'OPTIONS') return next();
      endpoints[name](toEndpointRequest(req)).then((answer) => send(res, answer), next);
    });
  }
  return router;
}

function toEndpointRequest(req: Request): EndpointRequest {
  // Express 5 leaves `req.body` undefined when no parser ran; an empty object from one that skipped
  // a non-JSON body is not a parsed body either.
  const parsed: unknown = req.body;
  const body = req.is('application/json') && parsed !== undefined ? parsed : undefined;
  return {
    method: req.method,
    url: req.originalUrl,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body,
    readBody: (maxBytes) => readBodyStream(req, maxBytes),
  };
}

function send(res: Response, answer: EndpointResponse): void {
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) {
    res.setHeader(name, name === 'vary' ? appendVary(res.getHeader('vary'), String(value)) : value);
  }
  res.end(answer.body);
}
