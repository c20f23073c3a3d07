/**
 * Requests over real mutual TLS to the test apps (node:https), trusting the TEST-ONLY CA, with or
 * without a client certificate; and the HTTPS options of a server that asks for one.
 */
import { Agent, request as httpsRequest, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SERVER, TEST_CA, type TestCertificate } from '../fixtures/tls/certificates.js';
import type { TestApp } from './apps.js';

/**
 * A server that asks every client for a certificate but lets one without through: the guard, not
 * the handshake, refuses a certificate-bound token without its certificate; unbound tokens need none.
 * RFC 8705 §3 needs no chain validation at the resource server (the handshake proves the key).
 */
export const MTLS_SERVER: HttpsOptions = { key: SERVER.key, cert: SERVER.cert, ca: TEST_CA, requestCert: true, rejectUnauthorized: false };

export interface TlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the client resumed an earlier TLS session on this request's connection. */
  sessionReused: boolean;
}

export interface TlsRequest {
  /** The client certificate and key to present; none when left out. */
  client?: TestCertificate | undefined;
  token?: string | undefined;
  headers?: Record<string, string>;
  /** Default: a fresh connection, no session cache (agent: false). */
  agent?: Agent;
  method?: string;
  body?: string;
}

/** The app's port, listening on 127.0.0.1 first if it is not yet (startApp leaves Fastify's server to supertest). */
export async function portOf(app: TestApp): Promise<number> {
  if (!app.server.listening) await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  return (app.server.address() as AddressInfo).port;
}

export function tlsRequest(url: string, req: TlsRequest): Promise<TlsResponse> {
  const headers = { ...(req.token === undefined ? {} : { authorization: `Bearer ${req.token}` }), ...req.headers };
  const client = req.client === undefined ? {} : { cert: req.client.cert, key: req.client.key };
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(url, { method: req.method ?? 'GET', headers, ca: TEST_CA, ...client, agent: req.agent ?? false }, (res) => {
      // Read now: a kept-alive socket goes back to the agent (res.socket null) by 'end'.
      const sessionReused = (res.socket as TLSSocket).isSessionReused();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), sessionReused }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}
