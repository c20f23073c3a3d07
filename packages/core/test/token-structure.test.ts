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
    expect(error.hint).toBe('a segment is not canonical unpadded base64url (padding, +, / or stray bits)');
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

describe('the payload is read only once the signature holds', () => {
  /** The same header and payload as a valid token, with a signature that does not verify. */
  const forged = (payloadText: string) => `${b64url({ alg: 'HS256' })}.${Buffer.from(payloadText).toString('base64url')}.${'A'.repeat(43)}`;

  it.each([
    ['not JSON', 'not json at all'],
    ['a JSON array', '[1,2]'],
    ['duplicate member names', '{"sub":"a","sub":"b"}'],
    ['a "__proto__" member', '{"__proto__":{"admin":true}}'],
    ['deeply nested', `{"x":${'['.repeat(3000)}${']'.repeat(3000)}}`],
    ['a 5000-digit number', `{"sub":${'9'.repeat(5000)}}`],
  ])('a payload that is %s, with a signature that does not verify, is refused for its signature', async (_label, payloadText) => {
    await rejection(verifier().verify(forged(payloadText)), 'signature_invalid');
  });
});

describe('a "__proto__" member', () => {
  it.each([
    ['at the top', '{"__proto__":{"role":"admin"},'],
    ['escaped', '{"\\u005f_proto__":{"role":"admin"},'],
    ['nested', '{"realm":[{"__proto__":{"role":"admin"}}],'],
  ])('is refused in a validly signed payload (%s), and never reaches the context', async (_label, start) => {
    const payloadText = JSON.stringify(validClaims()).replace(/^\{/, start);
    const error = await rejection(verifier().verify(hmacToken({ alg: 'HS256' }, Buffer.from(payloadText).toString('base64url'))), 'token_malformed');
    expect(error.hint).toBe('the payload has a "__proto__" member');
  });

  it('is refused in the header, before the signature', async () => {
    const token = `${b64url('{"alg":"HS256","__proto__":{"alg":"none"}}')}.${b64url(validClaims())}.${'A'.repeat(43)}`;
    const error = await rejection(verifier().verify(token), 'token_malformed');
    expect(error.hint).toBe('the header has a "__proto__" member');
  });

  it('is an ordinary claim name otherwise: "constructor" and "prototype" pass', async () => {
    const auth = await verifier().verify(await sign(SECRET_32, 'HS256', validClaims({ constructor: 'x', prototype: 'y' })));
    expect(Object.getPrototypeOf(auth.payload)).toBe(Object.prototype);
    expect(Object.hasOwn(auth.payload, 'constructor')).toBe(true);
  });
});

describe('the header is bounded before it is parsed', () => {
  const withHeader = (headerText: string) => hmacToken(headerText, b64url(validClaims()));
  const nested = (depth: number) => `${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}`;
  const members = (count: number) => Array.from({ length: count }, (_, index) => `"h${index}":${index}`).join(',');

  it('parses a header of 4 levels and 32 values, with long strings', async () => {
    // The object and three arrays: 4 levels (a jwk with key_ops is 3).
    await expect(verifier().verify(withHeader(`{"alg":"HS256","x":${nested(4)}}`))).resolves.toBeDefined();
    await expect(verifier().verify(withHeader(`{"alg":"HS256",${members(31)}}`))).resolves.toBeDefined();
    await expect(verifier().verify(withHeader(`{"alg":"HS256","kid":${JSON.stringify('k'.repeat(4000))}}`))).resolves.toBeDefined();
    await expect(verifier().verify(withHeader(`{"alg":"HS256","jwk":{"kty":"EC","key_ops":["verify"]},"x5c":["MIIB","MIIC"]}`))).resolves.toBeDefined();
  });

  it.each([
    ['5 levels of nesting', `{"alg":"HS256","x":${nested(5)}}`],
    ['33 values', `{"alg":"HS256",${members(32)}}`],
    ['a 600-digit number', `{"alg":"HS256","x":${'9'.repeat(600)}}`],
    ['deep nesting', `{"alg":"HS256","x":${nested(2000)}}`],
  ])('refuses %s, even with a valid signature', async (_label, headerText) => {
    const error = await rejection(verifier().verify(withHeader(headerText)), 'token_malformed');
    expect(error.hint).toMatch(/^the header is not a plain JOSE header/);
  });
});

describe('a verified context is read-only', () => {
  it('freezes the context, its header and its payload at any depth; its scopes cannot change', async () => {
    const v = verifier();
    const token = await sign(SECRET_32, 'HS256', validClaims({ scope: 'orders:read', realm: { roles: ['user'] } }));
    const auth = await v.verify(token);
    expect(Object.isFrozen(auth)).toBe(true);
    expect(Object.isFrozen(auth.header)).toBe(true);
    expect(Object.isFrozen(auth.payload)).toBe(true);
    expect(Object.isFrozen((auth.payload.realm as { roles: string[] }).roles)).toBe(true);
    expect(() => {
      (auth.payload as Record<string, unknown>).role = 'admin';
    }).toThrow(TypeError);
    expect(() => (auth.payload.realm as { roles: string[] }).roles.push('admin')).toThrow(TypeError);
    const scopes = auth.scopes as Set<string>;
    expect(() => scopes.add('admin')).toThrow(/read-only/);
    expect(() => scopes.delete('orders:read')).toThrow(/read-only/);
    expect(() => scopes.clear()).toThrow(/read-only/);
    expect([...auth.scopes]).toEqual(['orders:read']);
    expect(new Set(auth.scopes).add('admin').size).toBe(2);
  });

  it('so a cached token answers every request the same, whatever an earlier one tried', async () => {
    const v = verifier();
    const token = await sign(SECRET_32, 'HS256', validClaims({ scope: 'orders:read' }));
    for (let use = 0; use < 4; use++) {
      const auth = await v.verify(token);
      expect([...auth.scopes], `use ${use + 1}`).toEqual(['orders:read']);
      expect(auth.payload.role, `use ${use + 1}`).toBeUndefined();
      try {
        (auth.scopes as Set<string>).add('admin');
      } catch {
        // read-only
      }
      try {
        (auth.payload as Record<string, unknown>).role = 'admin';
      } catch {
        // frozen
      }
    }
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
      expect(error.hint).toMatch(/^this looks like an OpenID Connect ID token \(it has nonce\/at_hash\); send the access token instead; the token's aud is "my-spa-client-id" but /);
    }
  });

  it('recognises an ID token by its typ', async () => {
    const token = await sign(SECRET_32, 'HS256', validClaims({ aud: 'client' }), { typ: 'id_token' });
    const error = await rejection(verifier().verify(token), 'audience_mismatch');
    expect(error.hint).toMatch(/^this is an ID token \(typ\); send the access token instead; the token's aud is "client" but /);
  });

  it('does not mention ID tokens for an ordinary access token', async () => {
    const token = await sign(SECRET_32, 'HS256', validClaims({ aud: 'other' }));
    const error = await rejection(verifier().verify(token), 'audience_mismatch');
    expect(error.hint ?? '').not.toContain('ID token');
  });
});
