/**
 * oidc-provider as an RFC 8705 authorization server on 127.0.0.1: HTTPS that asks for client
 * certificates (the TEST-ONLY fixtures), `tls_client_auth` clients identified by their certificate's
 * subject, and certificate-bound RFC 9068 JWT access tokens for one resource (RFC 8707).
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from '@jwt-guard/core';
import { MTLS_SERVER, tlsRequest } from '../../adapters/tls-client.js';
import type { TestCertificate } from '../../fixtures/tls/certificates.js';

export const RESOURCE = 'https://orders.api.test';

export interface MtlsClient {
  id: string;
  /** The subject DN (RFC 4514) its certificate must carry: `tls_client_auth_subject_dn`. */
  subjectDn: string;
}

const socketOf = (ctx: KoaContextWithOIDC) => ctx.req.socket as TLSSocket;

function configuration(clients: MtlsClient[], signingKey: JWK): Configuration {
  const metadata: ClientMetadata[] = clients.map((client) => ({
    client_id: client.id,
    token_endpoint_auth_method: 'tls_client_auth',
    tls_client_auth_subject_dn: client.subjectDn,
    tls_client_certificate_bound_access_tokens: true,
    // The provider has one ES256 key; its default for ID tokens would be RS256.
    id_token_signed_response_alg: 'ES256',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  }));
  return {
    clients: metadata,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['orders:read'],
    clientAuthMethods: ['tls_client_auth'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        // The provider's own TLS connection: the certificate the client proved it holds.
        getCertificate: (ctx) => socketOf(ctx).getPeerX509Certificate(),
        // Chain checked by the handshake against the test CA (rejectUnauthorized is off, so read the verdict).
        certificateAuthorized: (ctx) => socketOf(ctx).authorized,
        certificateSubjectMatches: (ctx, property, expected) =>
          property === 'tls_client_auth_subject_dn' && socketOf(ctx).getPeerX509Certificate()?.subject === expected.replace(/,\s*/g, '\n'),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) throw new errors.InvalidTarget();
          return { scope: 'orders:read', audience: RESOURCE, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
  };
}

export interface RunningMtlsProvider {
  issuer: string;
  /** The provider's public keys, read from its jwks_uri (over TLS, as a resource server would). */
  jwks: { keys: JWK[] };
  /** client_credentials at the token endpoint over a connection made with `certificate`. */
  token(certificate: TestCertificate | undefined, clientId: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startMtlsProvider(clients: MtlsClient[]): Promise<RunningMtlsProvider> {
  const signingKey: JWK = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'mtls-es256', alg: 'ES256', use: 'sig' };
  const app: { handle?: ReturnType<Provider['callback']> } = {};
  const server: Server = createServer(MTLS_SERVER, (req, res) => void app.handle!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(origin, configuration(clients, signingKey));
  app.handle = provider.callback();

  const discovery = JSON.parse((await tlsRequest(`${origin}/.well-known/openid-configuration`, {})).body) as Record<string, unknown>;
  if (discovery.tls_client_certificate_bound_access_tokens !== true) throw new Error('the provider does not announce certificate-bound access tokens');
  const jwks = JSON.parse((await tlsRequest(String(discovery.jwks_uri), {})).body) as { keys: JWK[] };
  return {
    issuer: String(discovery.issuer),
    jwks,
    async token(certificate, clientId) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, resource: RESOURCE, scope: 'orders:read' }).toString();
      const response = await tlsRequest(String(discovery.token_endpoint), {
        method: 'POST',
        client: certificate,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A certificate's subject as RFC 4514 text (what a client registers as tls_client_auth_subject_dn). */
export function subjectDnOf(certificate: TestCertificate): string {
  return new X509Certificate(certificate.cert).subject.split('\n').join(',');
}
