import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '@jwt-guard/core';
import { b64url, CLAIM_OPTIONS, rawToken, rejection, SECRET_32, sign, validClaims } from './helpers.js';

const verifier = (options: Partial<VerifierOptions> = {}) => createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS, ...options });

/** An HS256 token over exactly these header and payload segments, with a correct signature. */
function hmacToken(header: unknown, payloadSegment: string): string {
  const headerSegment = b64url(header);
  const signature = createHmac('sha256', SECRET_32).update(`${headerSegment}.${payloadSegment}`).digest('base64url');
  return `${headerSegment}.${payloadSegment}.${signature}`;
}

describe('missing token', () => {
  it('refuses an empty or non-string token as token_missing', async () => {
    await rejection(verifier().verify(''), 'token_missing', 401);
    await rejection(verifier().verify(undefined as unknown as string), 'token_missing');
  });
});

describe('maxTokenLength', () => {
  it('defaults to 8192 characters, refusing longer tokens before parsing', async () => {
    const error = await rejection(verifier().verify('x'.repeat(8193)), 'token_too_large', 401);
    expect(error.message).toBe('The access token is too large.');
    expect(error.hint).toBe('8193 characters; maxTokenLength is 8192');
    // At the limit, the token is parsed (and found to be opaque).
    await rejection(verifier().verify('x'.repeat(8192)), 'token_malformed');
  });

  it('refuses an oversized token even when it is validly signed', async () => {
    const big = await sign(SECRET_32, 'HS256', validClaims({ padding: 'p'.repeat(7000) }));
    expect(big.length).toBeGreaterThan(8192);
    await rejection(verifier().verify(big), 'token_too_large');
    await expect(verifier({ maxTokenLength: 20_000 }).verify(big)).resolves.toBeDefined();
  });

  it('honours a custom limit', async () => {
    const token = await sign(SECRET_32, 'HS256');
    const v = verifier({ maxTokenLength: token.length });
    await expect(v.verify(token)).resolves.toBeDefined();
    const tight = verifier({ maxTokenLength: token.length - 1 });
    const error = await rejection(tight.verify(token), 'token_too_large');
    expect(error.hint).toBe(`${token.length} characters; maxTokenLength is ${token.length - 1}`);
    // Even garbage that would be malformed is refused for its size first.
    await rejection(verifier({ maxTokenLength: 10 }).verify('a.b.c.d.e.f.g'), 'token_too_large');
  });
});

describe('segments', () => {
  it('refuses a five-segment JWE with a hint saying so', async () => {
    const jwe = `${b64url({ alg: 'dir', enc: 'A256GCM' })}..aXY.Y2lwaGVy.dGFn`;
    const error = await rejection(verifier().verify(jwe), 'token_malformed', 401);
    expect(error.message).toBe('The access token is malformed.');
    expect(error.hint).toContain('encrypted JWE');
  });

  it('refuses an opaque token (no dots) with a hint saying so', async () => {
    const error = await rejection(verifier().verify('2YotnFZFEjr1zCsicMWpAA'), 'token_malformed');
    expect(error.hint).toContain('opaque access token');
    expect(error.hint).toContain('introspect');
  });

  it.each([
    ['two', 'aaa.bbb', '2 segments; a compact JWS has three'],
    ['four', 'aaa.bbb.ccc.ddd', '4 segments; a compact JWS has three'],
    ['six', 'a.b.c.d.e.f', '6 segments; a compact JWS has three'],
  ])('refuses %s segments', async (_label, token, hint) => {
    const error = await rejection(verifier().verify(token), 'token_malformed');
    expect(error.hint).toBe(hint);
  });
});

describe('base64url', () => {
  const good = () => rawToken({ alg: 'HS256' }, validClaims());

  it.each([
    ['a "+" character', (t: string) => `+${t}`],
    ['a "/" character', (t: string) => t.replace('.', '/.')],
    ['"=" padding', (t: string) => `${t.split('.')[0]}=.${t.split('.').slice(1).join('.')}`],
    ['padding on the signature', (t: string) => `${t}==`],
    ['a space inside', (t: string) => t.replace('.', ' .')],
    ['a leading space', (t: string) => ` ${t}`],
    ['a trailing newline', (t: string) => `${t}\n`],
    ['a tab in the payload', (t: string) => t.replace('.', '.\t')],
    ['a percent escape', (t: string) => t.replace('.', '%2E.')],
    ['an empty header', (t: string) => `.${t.split('.').slice(1).join('.')}`],
  ])('refuses %s', async (_label, mutate) => {
    const error = await rejection(verifier().verify(mutate(good())), 'token_malformed');
    expect(error.hint).toBe('a segment is not unpadded base64url');
  });
});

describe('payload', () => {
  it('refuses a correctly signed JWS whose payload is empty: a JWS, not a JWT', async () => {
    const signingInput = `${b64url({ alg: 'HS256' })}.`;
    const signature = createHmac('sha256', SECRET_32).update(signingInput).digest('base64url');
    const error = await rejection(verifier().verify(`${signingInput}.${signature}`), 'token_malformed');
    expect(error.hint).toBe('the payload is not a JSON object: not a JWT');
  });
});

describe('header', () => {
  it.each([
    ['not JSON', 'not json at all'],
    ['a JSON array', '[{"alg":"HS256"}]'],
    ['a JSON string', '"HS256"'],
    ['JSON null', 'null'],
    ['a JSON number', '256'],
  ])('refuses a header that is %s', async (_label, header) => {
    const token = `${b64url(header)}.${b64url(validClaims())}.c2ln`;
    const error = await rejection(verifier().verify(token), 'token_malformed');
    expect(error.hint).toBe('the header is not a JSON object');
  });

  it.each([42, { id: 'k' }, ['k'], null, true])('refuses a kid that is not a string (%j)', async (kid) => {
    const error = await rejection(verifier().verify(rawToken({ alg: 'HS256', kid }, validClaims())), 'token_malformed');
    expect(error.hint).toBe('the header "kid" is not a string');
  });

  it('refuses a crit header naming an unknown extension, even with a valid signature', async () => {
    const token = hmacToken({ alg: 'HS256', crit: ['urn:example:ext'], 'urn:example:ext': true }, b64url(validClaims()));
    await rejection(verifier().verify(token), 'token_malformed', 401);
  });

  it('refuses an empty crit list', async () => {
    await rejection(verifier().verify(hmacToken({ alg: 'HS256', crit: [] }, b64url(validClaims()))), 'token_malformed');
  });

  it('refuses an unencoded payload (b64: false), even with a valid signature', async () => {
    const token = hmacToken({ alg: 'HS256', b64: false, crit: ['b64'] }, b64url(validClaims()));
    await rejection(verifier().verify(token), 'token_malformed');
  });
});

describe('payload', () => {
  it.each([
    ['not JSON', 'not json'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"sub"'],
  ])('refuses a validly signed payload that is %s', async (_label, payload) => {
    await rejection(verifier().verify(hmacToken({ alg: 'HS256' }, b64url(payload))), 'token_malformed');
  });
});

describe('signature', () => {
  it('refuses an empty signature', async () => {
    const [header, payload] = (await sign(SECRET_32, 'HS256')).split('.');
    const error = await rejection(verifier().verify(`${header}.${payload}.`), 'signature_invalid', 401);
    expect(error.message).toBe('The access token signature is invalid.');
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign(SECRET_32, 'HS256')).split('.');
    const forged = b64url(validClaims({ sub: 'admin' }));
    await rejection(verifier().verify(`${header}.${forged}.${signature}`), 'signature_invalid');
  });

  it('refuses a tampered signature', async () => {
    const token = await sign(SECRET_32, 'HS256');
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0]! ^= 0x01;
    await rejection(verifier().verify(`${header}.${payload}.${bytes.toString('base64url')}`), 'signature_invalid');
    await rejection(verifier().verify(`${header}.${payload}.${signature.slice(0, -3)}`), 'signature_invalid');
  });

  it('refuses a tampered header', async () => {
    const [, payload, signature] = (await sign(SECRET_32, 'HS256', validClaims(), { kid: 'a' })).split('.');
    await rejection(verifier().verify(`${b64url({ alg: 'HS256', kid: 'b' })}.${payload}.${signature}`), 'signature_invalid');
  });
});

describe('ID token hint', () => {
  it('recognises an ID token by its nonce or at_hash', async () => {
    for (const extra of [{ nonce: 'n-0S6_WzA2Mj' }, { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' }]) {
      const token = await sign(SECRET_32, 'HS256', validClaims({ aud: 'my-spa-client-id', ...extra }));
      const error = await rejection(verifier().verify(token), 'audience_mismatch');
      expect(error.hint).toBe('this looks like an OpenID Connect ID token (it has nonce/at_hash); send the access token instead');
    }
  });

  it('recognises an ID token by its typ', async () => {
    const token = await sign(SECRET_32, 'HS256', validClaims({ aud: 'client' }), { typ: 'id_token' });
    const error = await rejection(verifier().verify(token), 'audience_mismatch');
    expect(error.hint).toBe('this is an ID token (typ); send the access token instead');
  });

  it('does not mention ID tokens for an ordinary access token', async () => {
    const token = await sign(SECRET_32, 'HS256', validClaims({ aud: 'other' }));
    const error = await rejection(verifier().verify(token), 'audience_mismatch');
    expect(error.hint ?? '').not.toContain('ID token');
  });
});
