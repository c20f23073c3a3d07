import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { appendVary, configError } from '@jwt-guard/core';
import { readBodyStream } from './read-body.js';
import { type EndpointResponse, type SessionEndpoints } from './endpoints.js';

export interface SessionRoutesOptions {
  /** From `sessionEndpoints(sessions, …)`. */
  endpoints: SessionEndpoints;
}

/** Methods answered 405 (HEAD comes with GET); OPTIONS is left to a CORS plugin. */
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * A plugin registering POST /login, /refresh and /logout of `endpoints` (other methods: 405):
 * `app.register(sessionRoutes, { endpoints, prefix: '/auth' })` — `/auth` is the refresh cookie's
 * default path. Encapsulated: inside it the body is read raw and bounded by the endpoints, so a
 * too-large or malformed body gets the same answer as on Express and Koa, not Fastify's own.
 */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, options) => {
  const { endpoints } = options;
  if (typeof endpoints?.login !== 'function') throw configError('sessionRoutes needs { endpoints }: the result of sessionEndpoints(sessions, options).');
  app.removeAllContentTypeParsers();
  // The stream is handed on unread; the endpoint reads it (login only), stopping past maxBodyBytes.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  for (const name of ['login', 'refresh', 'logout'] as const) {
    app.route({
      method: METHODS,
      url: `/${name}`,
      handler: async (request, reply) => {
        const answer = await endpoints[name]({
          method: request.method,
          url: request.url,
          headers: request.headers,
          rawHeaders: request.raw.rawHeaders,
          readBody: (maxBytes) => readBodyStream(bodyStream(request), maxBytes),
        });
        return send(reply, answer);
      },
    });
  }
};

/** The stream the catch-all parser handed on, or the request itself when Fastify ran no parser (no body). */
function bodyStream(request: FastifyRequest): AsyncIterable<Buffer | string> {
  const body = request.body as Partial<AsyncIterable<Buffer | string>> | undefined;
  return typeof body?.[Symbol.asyncIterator] === 'function' ? (body as AsyncIterable<Buffer | string>) : request.raw;
}

function send(reply: FastifyReply, answer: EndpointResponse): FastifyReply {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) {
    reply.header(name, name === 'vary' ? appendVary(reply.getHeader('vary'), String(value)) : value);
  }
  return answer.status === 204 ? reply.send() : reply.send(answer.body);
}
