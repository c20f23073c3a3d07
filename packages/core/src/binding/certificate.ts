import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import { checkOptionNames } from '../config.js';
import { configError, JwtGuardError } from '../errors.js';
import { showValue } from '../explanations.js';
import { BoundedMap } from '../detect/bounded-map.js';
import type { GuardRequest } from '../http/request.js';

/**
 * Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf` carries `x5t#S256` is good
 * only on a request made with that client certificate. The check runs on every authenticated
 * outcome, cache hits included; a token without `cnf` costs one property read.
 */

/**
 * Where the client certificate of a request comes from when the TLS connection is not the app's
 * own (a TLS-terminating proxy): PEM, URL-encoded PEM (nginx `$ssl_client_escaped_cert`, AWS ALB
 * `X-Amzn-Mtls-Clientcert`), bare base64 DER, or DER bytes; undefined or `''` for none.
 * Synchronous: a proxy header is at hand, and the guard's cached path stays free of promises.
 */
export type CertificateSource = (request: GuardRequest) => string | Uint8Array | undefined;

export interface MtlsOptions {
  /**
   * Replaces the default source, the TLS peer certificate of the request's own connection. Trust
   * such a header only if the edge proxy strips it from every incoming request and sets it itself.
   */
  certificate?: CertificateSource;
}

/** A request's answer to "which certificate was presented?": DER bytes, or why there are none. */
type Presented = { der: Uint8Array } | { none: string } | { failed: string };

/** The per-request check: undefined when the token is not certificate-bound or the certificate matches. */
export type CertificateCheck = (request: GuardRequest, payload: object) => JwtGuardError | undefined;

const SHA256_BASE64URL = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Longer than any client certificate a proxy would forward (Node caps all headers at 16 KiB anyway). */
const MAX_CERTIFICATE_TEXT = 16 * 1024;
const PEM = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----$/;
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

/** RFC 8705 §3.1: base64url of the SHA-256 of the certificate's DER. */
export function certificateThumbprint(certificate: string | Uint8Array): string {
  const der = typeof certificate === 'string' ? new X509Certificate(certificate).raw : certificate;
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * A `mtls.certificate` source reading one request header (lower-case name), as a TLS-terminating
 * proxy sets it. A repeated header is refused: a client cannot have added one the proxy kept.
 */
export function certificateFromHeader(name: string): CertificateSource {
  if (typeof name !== 'string' || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    throw configError('certificateFromHeader(name) needs a lower-case header name, such as "x-client-cert".');
  }
  return (request) => {
    const value = request.headers[name];
    if (Array.isArray(value)) throw new Error(`the ${name} header was sent more than once`);
    return value;
  };
}

/**
 * The adapters' `GuardRequest.clientCertificate` for a Node socket: undefined for a plain
 * connection (one property read), a reader of the peer certificate for a TLS one.
 */
export function clientCertificateOf(socket: unknown): (() => Uint8Array | undefined) | undefined {
  if ((socket as { encrypted?: unknown } | undefined)?.encrypted !== true) return undefined;
  // One reader per connection, not per request (a kept-alive connection serves many); it reads the
  // certificate afresh on each call, so a renegotiated one counts.
  const tls = socket as PeerSocket;
  return (tls[PEER_READER] ??= () => peerCertificateDer(tls));
}

const PEER_READER = Symbol('jwt-guard peer certificate reader');
type PeerSocket = { getPeerCertificate?: () => unknown; [PEER_READER]?: () => Uint8Array | undefined };

function peerCertificateDer(socket: PeerSocket): Uint8Array | undefined {
  // `{}` when the client sent no certificate; null once the socket is gone.
  const raw = (socket.getPeerCertificate?.() as { raw?: unknown } | null | undefined)?.raw;
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
}

export function createCertificateCheck(options: MtlsOptions | undefined): CertificateCheck {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw configError('mtls must be an object: { certificate: (request) => PEM or DER } (or left out to read the TLS connection).');
  }
  checkOptionNames(options ?? {}, ['certificate'], 'mtls');
  const source = options?.certificate;
  if (source !== undefined && typeof source !== 'function') {
    throw configError('mtls.certificate must be a function (request) => PEM string | DER bytes | undefined, e.g. certificateFromHeader("x-client-cert").');
  }
  // Header values repeat (one client, many requests): their parse is remembered, by text.
  const parsed = source === undefined ? undefined : new BoundedMap<string, Presented>(256);

  function presented(request: GuardRequest): Presented {
    if (source === undefined) {
      const read = request.clientCertificate;
      if (read === undefined) return { none: 'the connection is not TLS (or the adapter cannot read it); behind a TLS-terminating proxy, set mtls.certificate' };
      const der = read();
      return der === undefined ? { none: 'the client sent no certificate; the HTTPS server must ask for one (requestCert: true)' } : { der };
    }
    let value: unknown;
    try {
      value = source(request);
    } catch (error) {
      return { failed: `mtls.certificate threw ${showValue(error instanceof Error ? error.message : String(error))}` };
    }
    if (value === undefined || value === null || value === '') return { none: 'mtls.certificate gave no certificate' };
    if (typeof (value as { then?: unknown }).then === 'function') return { failed: 'mtls.certificate returned a promise; it must answer synchronously' };
    if (typeof value === 'string') {
      let known = parsed!.use(value);
      if (known === undefined) {
        known = fromText(value);
        parsed!.set(value, known);
      }
      return known;
    }
    if (value instanceof Uint8Array) return value.length === 0 ? { none: 'mtls.certificate gave no certificate' } : fromDer(value);
    return { failed: `mtls.certificate gave a ${typeof value}, not a PEM string or DER bytes` };
  }

  return (request, payload) => {
    const cnf = (payload as { cnf?: unknown }).cnf;
    if (cnf === undefined) return undefined;
    if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return refusal(`the token's cnf is ${showValue(cnf)}, not an object (RFC 7800)`);
    if (!Object.hasOwn(cnf, 'x5t#S256')) return undefined;
    const expected = (cnf as Record<string, unknown>)['x5t#S256'];
    if (typeof expected !== 'string' || !SHA256_BASE64URL.test(expected)) {
      return refusal(`the token's cnf x5t#S256 is ${showValue(expected)}, not the base64url SHA-256 thumbprint of a certificate (RFC 8705 §3.1); fix the issuer`);
    }
    const seen = presented(request);
    if ('none' in seen) return refusal(`the token is bound to a client certificate (cnf x5t#S256) but none was presented: ${seen.none}`);
    if ('failed' in seen) return refusal(`the token is bound to a client certificate but the certificate could not be read: ${seen.failed}`);
    const actual = createHash('sha256').update(seen.der).digest();
    if (!timingSafeEqual(actual, Buffer.from(expected, 'base64url'))) {
      return refusal(`the client certificate's SHA-256 thumbprint ${actual.toString('base64url')} differs from the token's cnf x5t#S256 ${expected}; send the certificate the token was issued to`);
    }
    return undefined;
  };
}

function refusal(hint: string): JwtGuardError {
  return new JwtGuardError('token_binding_invalid', 'The access token is bound to a client certificate that the request did not present.', { hint });
}

/** PEM (one certificate), URL-encoded PEM, or bare base64 DER, as proxies forward them. */
function fromText(text: string): Presented {
  if (text.length > MAX_CERTIFICATE_TEXT) return { failed: `mtls.certificate gave ${text.length} characters, more than a client certificate` };
  let decoded = text.trim();
  if (decoded.includes('%')) {
    try {
      decoded = decodeURIComponent(decoded).trim();
    } catch {
      return { failed: 'mtls.certificate gave text that is neither PEM nor URL-encoded PEM (a bad % escape)' };
    }
  }
  const pem = PEM.exec(decoded);
  const base64 = pem === null ? (BASE64.test(decoded) ? decoded : undefined) : pem[1]!;
  // A chain, or anything else around the certificate, is refused rather than guessed at.
  if (base64 === undefined) return { failed: 'mtls.certificate gave text that is not one PEM certificate, URL-encoded PEM or base64 DER' };
  return fromDer(Buffer.from(base64.replace(/\s+/g, ''), 'base64'));
}

/** The DER as a certificate: anything that does not parse as one is refused, never hashed. */
function fromDer(bytes: Uint8Array): Presented {
  try {
    return { der: new X509Certificate(bytes).raw };
  } catch {
    return { failed: `mtls.certificate gave ${bytes.length} bytes that are not a DER X.509 certificate` };
  }
}
