/** What the guard needs from an HTTP request; each adapter builds one from its framework's request. */
export interface GuardRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  /** Lower-case header names, as Node's `IncomingMessage.headers`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Reads a parsed cookie; undefined when no cookie parser ran. */
  readonly cookie?: ((name: string) => string | undefined) | undefined;
}

/** A CORS preflight never carries credentials, so the guard lets it through to the CORS handler. */
export function isCorsPreflight(request: GuardRequest): boolean {
  return request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
}
