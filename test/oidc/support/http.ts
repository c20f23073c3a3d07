import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface ProviderResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/**
 * The test's own calls to the provider (discovery, token, JWKS) go over a fresh connection each
 * (`agent: false`) rather than `fetch`: fetch's keep-alive pool is shared with the guards in this
 * process, and right after a provider restart it may hand out a socket the old server just closed.
 * The body is parsed as JSON.
 */
export function callProvider(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<ProviderResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A client_credentials token request with `client_secret_post` (RFC 8707 `resource`), with extra headers (e.g. DPoP). */
export function clientCredentialsRequest(
  tokenEndpoint: string,
  request: { clientId: string; clientSecret: string; resource: string; scope: string; headers?: Record<string, string> },
): Promise<ProviderResponse> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: request.resource,
    scope: request.scope,
    client_id: request.clientId,
    client_secret: request.clientSecret,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...request.headers };
  return callProvider(tokenEndpoint, { method: 'POST', headers, body: form.toString() });
}
