/**
 * Certificate-bound tokens (RFC 8705 §3) through createGuard: a token with `cnf["x5t#S256"]` passes
 * only with the client certificate it names, from the request's TLS connection or an
 * `mtls.certificate` source, on every request (cache hits included); the seams an app plugs in
 * (the source throwing, returning a promise, garbage) fail closed. Real HTTPS is in
 * test/adapters/mtls.test.ts and test/oidc/mtls.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  certificateFromHeader,
  certificateThumbprint,
  clientCertificateOf,
  createGuard,
  errorResponse,
  type GuardOptions,
  type GuardOutcome,
  type GuardRequest,
  type RejectedEvent,
} from '@jwt-guard/core';
import { CLIENT_A, CLIENT_B, TEST_CA } from '../../../test/fixtures/tls/certificates.js';
import { CLAIM_OPTIONS, configError, SECRET_32, sign, validClaims } from './helpers.js';

const events: RejectedEvent[] = [];
const guard = (options: Partial<GuardOptions> = {}) =>
  createGuard({ secret: SECRET_32, ...CLAIM_OPTIONS, onRejected: (event) => events.push(event), ...options });
const token = (cnf?: unknown) => sign(SECRET_32, 'HS256', validClaims(cnf === undefined ? {} : { cnf }));
const boundTo = (thumbprint: string) => token({ 'x5t#S256': thumbprint });

/** A request whose TLS peer certificate is `der` (what the adapters read from the socket). */
function over(tls: { der: Uint8Array | undefined } | undefined, bearer: string, headers: Record<string, string | string[]> = {}): GuardRequest {
  const base = { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${bearer}`, ...headers } };
  return tls === undefined ? base : { ...base, clientCertificate: () => tls.der };
}

/** The outcome's code (or type) and, for a refusal, its hint. */
async function result(outcome: GuardOutcome | Promise<GuardOutcome>): Promise<{ code: string; hint?: string | undefined }> {
  const settled = await outcome;
  return settled.type === 'rejected' ? { code: settled.error.code, hint: settled.error.hint } : { code: settled.type };
}

describe('the thumbprint (RFC 8705 §3.1)', () => {
  it('is base64url(SHA-256(DER)), the same from PEM and from DER, and matches OpenSSL\'s fingerprint', () => {
    expect(certificateThumbprint(CLIENT_A.cert)).toBe(CLIENT_A.thumbprint);
    expect(certificateThumbprint(CLIENT_A.der)).toBe(CLIENT_A.thumbprint);
    expect(CLIENT_A.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(CLIENT_B.thumbprint).not.toBe(CLIENT_A.thumbprint);
  });
});

describe('a certificate-bound token over the request\'s own TLS connection (the default source)', () => {
  it('passes with the certificate it is bound to, and is refused with another, none, or no TLS at all', async () => {
    const g = guard();
    const t = await boundTo(CLIENT_A.thumbprint);
    expect(await result(g.authenticate(over({ der: CLIENT_A.der }, t)))).toEqual({ code: 'authenticated' });
    const other = await result(g.authenticate(over({ der: CLIENT_B.der }, t)));
    expect(other.code).toBe('token_binding_invalid');
    expect(other.hint).toContain(`thumbprint ${CLIENT_B.thumbprint} differs from the token's cnf x5t#S256 ${CLIENT_A.thumbprint}`);
    expect(await result(g.authenticate(over({ der: undefined }, t)))).toMatchObject({ code: 'token_binding_invalid', hint: expect.stringContaining('the client sent no certificate') });
    expect(await result(g.authenticate(over(undefined, t)))).toMatchObject({ code: 'token_binding_invalid', hint: expect.stringContaining('the connection is not TLS') });
  });

  it('is checked on every request: a token verified once (and cached) is refused without its certificate next time', async () => {
    const g = guard();
    const t = await boundTo(CLIENT_A.thumbprint);
    for (let i = 0; i < 3; i++) expect((await result(g.authenticate(over({ der: CLIENT_A.der }, t)))).code).toBe('authenticated');
    expect((await result(g.authenticate(over({ der: CLIENT_B.der }, t)))).code).toBe('token_binding_invalid');
    expect((await result(g.authenticate(over(undefined, t)))).code).toBe('token_binding_invalid');
    expect((await result(g.authenticate(over({ der: CLIENT_A.der }, t)))).code).toBe('authenticated');
  });

  it('a token without cnf never reads the certificate; a bound one reads it once per request', async () => {
    let reads = 0;
    const counting = (bearer: string): GuardRequest => ({ ...over(undefined, bearer), clientCertificate: () => (reads++, CLIENT_A.der) });
    const g = guard();
    expect((await result(g.authenticate(counting(await token())))).code).toBe('authenticated');
    expect(reads).toBe(0);
    expect((await result(g.authenticate(counting(await boundTo(CLIENT_A.thumbprint))))).code).toBe('authenticated');
    expect(reads).toBe(1);
  });

  it('answers 401 invalid_token, with a challenge, a hint for onRejected, and nothing of the token in the body', async () => {
    events.length = 0;
    const g = guard({ realm: 'orders' });
    const t = await boundTo(CLIENT_A.thumbprint);
    const outcome = await g.authenticate(over({ der: CLIENT_B.der }, t));
    if (outcome.type !== 'rejected') throw new Error('expected a refusal');
    const response = errorResponse(outcome.error);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_token", error_description="The access token is bound to a client certificate/);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'token_binding_invalid' });
    expect(response.body).not.toContain(t);
    expect(events.at(-1)).toMatchObject({ code: 'token_binding_invalid', status: 401, passedAsAnonymous: false });
    expect(events.at(-1)!.hint).toContain('differs');
  });

  it('with anonymousOnInvalidToken, a token without its certificate goes on as anonymous, not as its subject', async () => {
    const g = guard({ credentialsRequired: false, anonymousOnInvalidToken: true });
    const outcome = await g.authenticate(over({ der: CLIENT_B.der }, await boundTo(CLIENT_A.thumbprint)));
    expect(outcome).toMatchObject({ type: 'anonymous', error: { code: 'token_binding_invalid' } });
  });
});

describe('a malformed cnf is refused, never ignored', () => {
  it.each([
    ['cnf a string', 'bound'],
    ['cnf an array', [CLIENT_A.thumbprint]],
    ['cnf null', null],
    ['x5t#S256 a number', { 'x5t#S256': 42 }],
    ['x5t#S256 hex, not base64url', { 'x5t#S256': CLIENT_A.der.toString('hex') }],
    ['x5t#S256 padded base64', { 'x5t#S256': `${CLIENT_A.thumbprint}=` }],
    ['x5t#S256 standard base64', { 'x5t#S256': Buffer.from(CLIENT_A.thumbprint, 'base64url').toString('base64') }],
    ['x5t#S256 a SHA-1 (x5t) thumbprint', { 'x5t#S256': 'A'.repeat(27) }],
    ['x5t#S256 non-canonical base64url (trailing bits set)', { 'x5t#S256': `${CLIENT_A.thumbprint.slice(0, 42)}B` }],
    ['x5t#S256 empty', { 'x5t#S256': '' }],
  ])('%s: 401 token_binding_invalid, even with the right certificate', async (_name, cnf) => {
    const outcome = await result(guard().authenticate(over({ der: CLIENT_A.der }, await token(cnf))));
    expect(outcome.code).toBe('token_binding_invalid');
    expect(outcome.hint).toMatch(/cnf/);
  });
});

describe('mtls.certificate: the certificate from elsewhere (a TLS-terminating proxy)', () => {
  const header = 'x-client-cert';
  const viaHeader = () => guard({ mtls: { certificate: certificateFromHeader(header) } });

  it.each([
    ['PEM', CLIENT_A.cert],
    ['URL-encoded PEM (nginx $ssl_client_escaped_cert)', encodeURIComponent(CLIENT_A.cert)],
    ['URL-encoded PEM with + = / kept (AWS ALB)', encodeURIComponent(CLIENT_A.cert).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/')],
    ['bare base64 DER', CLIENT_A.der.toString('base64')],
  ])('accepts %s of the bound certificate, and refuses the other client\'s in the same form', async (_name, value) => {
    const t = await boundTo(CLIENT_A.thumbprint);
    expect((await result(viaHeader().authenticate(over(undefined, t, { [header]: value })))).code).toBe('authenticated');
    const otherValue = value.replace(/.*/s, (text) => text === CLIENT_A.cert ? CLIENT_B.cert : text.includes('%') ? encodeURIComponent(CLIENT_B.cert) : CLIENT_B.der.toString('base64'));
    expect((await result(viaHeader().authenticate(over(undefined, t, { [header]: otherValue })))).code).toBe('token_binding_invalid');
  });

  it('accepts DER bytes from a source function', async () => {
    const g = guard({ mtls: { certificate: () => new Uint8Array(CLIENT_A.der) } });
    expect((await result(g.authenticate(over(undefined, await boundTo(CLIENT_A.thumbprint))))).code).toBe('authenticated');
  });

  it('replaces the TLS connection: the proxy\'s own connection certificate does not count', async () => {
    const t = await boundTo(CLIENT_A.thumbprint);
    const outcome = await result(viaHeader().authenticate(over({ der: CLIENT_A.der }, t)));
    expect(outcome).toMatchObject({ code: 'token_binding_invalid', hint: expect.stringContaining('mtls.certificate gave no certificate') });
  });

  it('is not called for a token without cnf', async () => {
    let calls = 0;
    const g = guard({ mtls: { certificate: () => (calls++, CLIENT_A.cert) } });
    expect((await result(g.authenticate(over(undefined, await token())))).code).toBe('authenticated');
    expect(calls).toBe(0);
  });

  const throwing = () => {
    throw new Error('no header\nforged log line');
  };
  it.each([
    ['throws', throwing, /mtls\.certificate threw "no header\\nforged log line"/],
    ['returns a promise', () => Promise.resolve(CLIENT_A.cert), /returned a promise; it must answer synchronously/],
    ['returns a number', () => 42, /gave a number, not a PEM string or DER bytes/],
    ['returns text that is no certificate', () => 'hello, world', /not one PEM certificate, URL-encoded PEM or base64 DER/],
    ['returns a bad % escape', () => '-----BEGIN%20CERTIFICATE-----%E0%A4%A', /a bad % escape/],
    ['returns base64 of something else', () => Buffer.from('not a certificate at all').toString('base64'), /bytes that are not a DER X\.509 certificate/],
    ['returns bytes that are no certificate', () => new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), /5 bytes that are not a DER X\.509 certificate/],
    ['returns a chain (two PEM certificates)', () => `${CLIENT_A.cert}${TEST_CA}`, /not one PEM certificate/],
    ['returns PEM of a private key', () => CLIENT_A.key, /not one PEM certificate/],
    ['returns more text than any certificate', () => 'A'.repeat(20_000), /more than a client certificate/],
  ])('a source that %s: 401 token_binding_invalid, with a hint naming the seam', async (_name, source, hint) => {
    const g = guard({ mtls: { certificate: source as () => string } });
    const outcome = await result(g.authenticate(over({ der: CLIENT_A.der }, await boundTo(CLIENT_A.thumbprint))));
    expect(outcome.code).toBe('token_binding_invalid');
    expect(outcome.hint).toMatch(hint);
    expect(outcome.hint).not.toMatch(/\n/);
  });

  it.each([
    ['undefined', undefined],
    ['an empty string (nginx without a client certificate)', ''],
    ['null', null],
    ['empty bytes', new Uint8Array(0)],
  ])('a source giving %s: no certificate presented', async (_name, value) => {
    const g = guard({ mtls: { certificate: () => value as string } });
    const outcome = await result(g.authenticate(over(undefined, await boundTo(CLIENT_A.thumbprint))));
    expect(outcome).toMatchObject({ code: 'token_binding_invalid', hint: expect.stringContaining('none was presented') });
  });

  it('certificateFromHeader refuses a repeated header (a client-added copy next to the proxy\'s)', async () => {
    const t = await boundTo(CLIENT_A.thumbprint);
    const outcome = await result(viaHeader().authenticate(over(undefined, t, { [header]: [CLIENT_A.cert, CLIENT_A.cert] })));
    expect(outcome).toMatchObject({ code: 'token_binding_invalid', hint: expect.stringContaining('sent more than once') });
  });
});

describe('mtls: start-up checks', () => {
  it.each([
    [{ mtls: 'x-client-cert' }, /mtls must be an object/],
    [{ mtls: null }, /mtls must be an object/],
    [{ mtls: { certficate: () => undefined } }, /mtls: unknown option "certficate"; did you mean "certificate"\?/],
    [{ mtls: { certificate: 'x-client-cert' } }, /mtls\.certificate must be a function .*certificateFromHeader\("x-client-cert"\)/],
    [{ mtlss: {} }, /unknown option "mtlss"; did you mean "mtls"\?/],
  ])('refuses %j with a message that says what to change', (options, message) => {
    expect(configError(() => guard(options as Partial<GuardOptions>)).message).toMatch(message);
  });

  it('certificateFromHeader needs a lower-case header name', () => {
    expect(configError(() => certificateFromHeader('X-Client-Cert')).message).toMatch(/lower-case header name/);
    expect(configError(() => certificateFromHeader('')).message).toMatch(/lower-case header name/);
  });
});

describe('clientCertificateOf (what the adapters set)', () => {
  it('is undefined for a plain socket, and reads the peer certificate of a TLS one', () => {
    expect(clientCertificateOf({ encrypted: false })).toBeUndefined();
    expect(clientCertificateOf(undefined)).toBeUndefined();
    expect(clientCertificateOf({ encrypted: true, getPeerCertificate: () => ({ raw: CLIENT_A.der }) })?.()).toBe(CLIENT_A.der);
    expect(clientCertificateOf({ encrypted: true, getPeerCertificate: () => ({}) })?.()).toBeUndefined();
    expect(clientCertificateOf({ encrypted: true, getPeerCertificate: () => null })?.()).toBeUndefined();
  });
});

describe('clientCertificateOf on one connection', () => {
  it('hands every request of a connection the same reader, which reads the certificate afresh', () => {
    let raw: Buffer | undefined = CLIENT_A.der;
    const socket = { encrypted: true, getPeerCertificate: () => (raw === undefined ? {} : { raw }) };
    const reader = clientCertificateOf(socket);
    expect(clientCertificateOf(socket)).toBe(reader);
    expect(reader?.()).toBe(CLIENT_A.der);
    raw = CLIENT_B.der;
    expect(reader?.()).toBe(CLIENT_B.der);
    raw = undefined;
    expect(reader?.()).toBeUndefined();
  });
});
