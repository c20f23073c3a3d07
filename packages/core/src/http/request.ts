/** What the guard needs from an HTTP request; each adapter builds one from its framework's request. */
export interface GuardRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: string;
  /** Lower-case header names, as Node's `IncomingMessage.headers`. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Node's `IncomingMessage.rawHeaders` (name, value, name, value…): `headers` silently keeps only
   * the first of repeated `Authorization` headers, this list shows them all. Optional; without it
   * a repetition is seen only where `headers` holds an array.
   */
  readonly rawHeaders?: readonly string[] | undefined;
}

/** A CORS preflight never carries credentials, so the guard lets it through to the CORS handler. */
export function isCorsPreflight(request: GuardRequest): boolean {
  return request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
}
