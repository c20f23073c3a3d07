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
  /**
   * The request body as the framework parsed it before the guard ran (Express `req.body`, Koa
   * `ctx.request.body`, Fastify `request.body`); undefined when nothing parsed it. Read only for
   * `csrf.token.fieldName`, a form field carrying the CSRF token.
   */
  readonly body?: unknown;
  /**
   * The client's address as the framework reports it with its own proxy settings (Express
   * `req.ip`, Koa `ctx.ip`, Fastify `request.ip`), read only by the detectors (`detect`). A
   * function, so that nothing is computed for a guard without detectors.
   */
  readonly clientAddress?: (() => string | undefined) | undefined;
  /**
   * The DER bytes of the TLS peer certificate (`socket.getPeerCertificate().raw`), undefined when
   * the client sent none. Read only for a certificate-bound token (`cnf["x5t#S256"]`, RFC 8705);
   * adapters set it only on a TLS connection (`clientCertificateOf(socket)`).
   */
  readonly clientCertificate?: (() => Uint8Array | undefined) | undefined;
}

/** A CORS preflight never carries credentials, so the guard lets it through to the CORS handler. */
export function isCorsPreflight(request: GuardRequest): boolean {
  return request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
}
