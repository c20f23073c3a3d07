import { randomBytes, webcrypto } from 'node:crypto';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createVerifier, type GetKey, type TokenHeader } from '@jwt-guard/core';
import {
  CLAIM_OPTIONS,
  configError,
  ecPair,
  movableClock,
  rejection,
  rsaPair,
  SECRET_32,
  SECRET_64,
  sign,
  sleep,
  validClaims,
  type RsaPair,
} from './helpers.js';

let rsaA: RsaPair;
let rsaB: RsaPair;
let rsaC: RsaPair;
let rsa1024: RsaPair;

beforeAll(() => {
  rsaA = rsaPair();
  rsaB = rsaPair();
  rsaC = rsaPair();
  rsa1024 = rsaPair(1024);
});

describe('secret', () => {
  it('verifies HS256 tokens with a string secret and returns the claims', async () => {
    const verifier = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS });
    const token = await sign(SECRET_32, 'HS256', validClaims({ sub: 'alice' }));
    const auth = await verifier.verify(token);
    expect(auth.token).toBe(token);
    expect(auth.header).toEqual({ alg: 'HS256' });
    expect(auth.payload.sub).toBe('alice');
    expect(auth.payload.iss).toBe(CLAIM_OPTIONS.issuer);
  });

  it('verifies with a Uint8Array secret', async () => {
    const bytes = new Uint8Array(randomBytes(32));
    const verifier = createVerifier({ secret: bytes, ...CLAIM_OPTIONS });
    const auth = await verifier.verify(await sign(bytes, 'HS256'));
    expect(auth.payload.sub).toBe('user-1');
  });

  it('treats a string secret as its UTF-8 bytes', async () => {
    const verifier = createVerifier({ secret: Buffer.from(SECRET_32, 'utf8'), ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(SECRET_32, 'HS256'))).resolves.toMatchObject({ payload: { sub: 'user-1' } });
  });

  it('refuses a token signed with another secret', async () => {
    const verifier = createVerifier({ secret: SECRET_32, ...CLAIM_OPTIONS });
    const other = 'Xy3Pq8Rt2Lm6Vn0Bz4Kc7Hd1Jf5Gs9Wa';
    const error = await rejection(verifier.verify(await sign(other, 'HS256')), 'signature_invalid', 401);
    expect(error.message).toBe('The access token signature is invalid.');
  });

  describe('rotation array', () => {
    const s2024 = SECRET_32;
    const s2025 = 'Mn4Bv8Cx2Zl6Kj0Hg3Fd7Sa1Qw5Er9Ty';
    const options = () => createVerifier({ secret: [{ kid: '2024', secret: s2024 }, { kid: '2025', secret: s2025 }], ...CLAIM_OPTIONS });

    it('selects the secret by the token kid', async () => {
      const verifier = options();
      expect((await verifier.verify(await sign(s2025, 'HS256', validClaims(), { kid: '2025' }))).header.kid).toBe('2025');
      expect((await verifier.verify(await sign(s2024, 'HS256', validClaims(), { kid: '2024' }))).header.kid).toBe('2024');
    });

    it('does not try the other secrets when the kid names one', async () => {
      // Signed with the 2024 secret but labelled 2025: only the 2025 secret is tried, so the signature fails.
      await rejection(options().verify(await sign(s2024, 'HS256', validClaims(), { kid: '2025' })), 'signature_invalid');
    });

    it('refuses a kid that names no secret with key_not_found', async () => {
      const error = await rejection(options().verify(await sign(s2024, 'HS256', validClaims(), { kid: '2023' })), 'key_not_found', 401);
      expect(error.message).toBe('No key is known for the access token.');
      expect(error.hint).toMatch(/^no configured key matches the token's kid "2023" and alg "HS256"; /);
    });

    it('tries every secret in order for a token without kid', async () => {
      const verifier = options();
      await expect(verifier.verify(await sign(s2024, 'HS256'))).resolves.toBeDefined();
      await expect(verifier.verify(await sign(s2025, 'HS256'))).resolves.toBeDefined();
    });

    it('tries secrets without kid in order, whatever the token kid', async () => {
      const verifier = createVerifier({ secret: [{ secret: s2024 }, { secret: s2025 }], ...CLAIM_OPTIONS });
      await expect(verifier.verify(await sign(s2025, 'HS256'))).resolves.toBeDefined();
      await expect(verifier.verify(await sign(s2024, 'HS256', validClaims(), { kid: 'anything' }))).resolves.toBeDefined();
      await rejection(verifier.verify(await sign(SECRET_64, 'HS256')), 'signature_invalid');
    });
  });
});

describe('publicKey', () => {
  it.each([
    ['a PEM string', () => rsaA.publicPem],
    ['a PEM Buffer', () => Buffer.from(rsaA.publicPem)],
    ['a PEM Uint8Array', () => new TextEncoder().encode(rsaA.publicPem)],
    ['a JWK', () => rsaA.publicJwk],
    ['a KeyObject', () => rsaA.publicKey],
    ['a private KeyObject (reduced to public)', () => rsaA.privateKey],
    ['a private PEM (reduced to public)', () => rsaA.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ['a private JWK (reduced to public)', () => rsaA.privateKey.export({ format: 'jwk' }) as JWK],
  ])('verifies RS256 with %s', async (_label, key) => {
    const verifier = createVerifier({ publicKey: key(), ...CLAIM_OPTIONS });
    expect(verifier.algorithms).toEqual(['RS256']);
    const auth = await verifier.verify(await sign(rsaA.privateKey, 'RS256'));
    expect(auth.payload.sub).toBe('user-1');
    await rejection(verifier.verify(await sign(rsaB.privateKey, 'RS256')), 'signature_invalid');
  });

  it('verifies with a WebCrypto CryptoKey (public or private)', async () => {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    for (const key of [pair.publicKey, pair.privateKey]) {
      const verifier = createVerifier({ publicKey: key, ...CLAIM_OPTIONS });
      expect(verifier.algorithms).toEqual(['ES256']);
      await expect(verifier.verify(await sign(pair.privateKey, 'ES256'))).resolves.toMatchObject({ header: { alg: 'ES256' } });
    }
  });

  it('rotates through an array of keys', async () => {
    const verifier = createVerifier({ publicKey: [rsaA.publicPem, rsaB.publicKey], ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256'))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256'))).resolves.toBeDefined();
    // Keys passed one by one without a kid match a token whatever its kid.
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'some-kid' }))).resolves.toBeDefined();
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256')), 'signature_invalid');
  });

  it('selects a JWK in the array by kid', async () => {
    const verifier = createVerifier({
      publicKey: [{ ...rsaA.publicJwk, kid: 'a' }, { ...rsaB.publicJwk, kid: 'b' }],
      ...CLAIM_OPTIONS,
    });
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'b' }))).resolves.toBeDefined();
    // Signed by A but claims kid b: only key b is tried.
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'b' })), 'signature_invalid');
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'c' })), 'key_not_found');
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256'))).resolves.toBeDefined();
  });

  it('does not verify an RS256 token with an EC key of the rotation', async () => {
    const ec = ecPair('P-256');
    const verifier = createVerifier({ publicKey: [ec.publicKey], ...CLAIM_OPTIONS });
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'algorithm_not_allowed');
  });
});

describe('jwks (local JWK Set)', () => {
  const set = () => ({
    keys: [
      { ...rsaA.publicJwk, kid: 'a', use: 'sig' },
      { ...rsaB.publicJwk, kid: 'b', alg: 'RS256' },
    ],
  });

  it('selects the key by kid', async () => {
    const verifier = createVerifier({ jwks: set(), ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'a' }))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'b' }))).resolves.toBeDefined();
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'b' })), 'signature_invalid');
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'zzz' })), 'key_not_found');
  });

  it('tries every key for a token without kid', async () => {
    const verifier = createVerifier({ jwks: set(), ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256'))).resolves.toBeDefined();
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256')), 'signature_invalid');
  });

  it('uses strict kid semantics: a key without kid does not match a token with one', async () => {
    const verifier = createVerifier({ jwks: { keys: [rsaA.publicJwk] }, ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256'))).resolves.toBeDefined();
    const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'a' })), 'key_not_found');
    expect(error.hint).toMatch(/^no configured key matches the token's kid "a" and alg "RS256"; /);
  });

  it('honours the JWK alg: the key verifies that algorithm only', async () => {
    const jwks = { keys: [{ ...rsaA.publicJwk, kid: 'a', alg: 'RS384' }] };
    expect(createVerifier({ jwks, ...CLAIM_OPTIONS }).algorithms).toEqual(['RS384']);
    const verifier = createVerifier({ jwks, algorithms: ['RS256', 'RS384'], ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS384', validClaims(), { kid: 'a' }))).resolves.toBeDefined();
    const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'a' })), 'key_not_found');
    expect(error.hint).toMatch(/^no configured key matches the token's kid "a" and alg "RS256"; /);
  });

  it('skips keys with use "enc"', async () => {
    const verifier = createVerifier({
      jwks: { keys: [{ ...rsaC.publicJwk, kid: 'e', use: 'enc' }, { ...rsaA.publicJwk, kid: 'a' }] },
      ...CLAIM_OPTIONS,
    });
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256', validClaims(), { kid: 'e' })), 'key_not_found');
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256')), 'signature_invalid');
  });

  it('skips keys whose key_ops lack "verify", and uses those that have it', async () => {
    const verifier = createVerifier({
      jwks: {
        keys: [
          { ...rsaC.publicJwk, kid: 'c', key_ops: ['encrypt'] },
          { ...rsaB.publicJwk, kid: 'b', key_ops: ['verify'] },
        ],
      },
      ...CLAIM_OPTIONS,
    });
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256', validClaims(), { kid: 'c' })), 'key_not_found');
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'b' }))).resolves.toBeDefined();
  });

  it('skips keys whose alg is not a signature algorithm', async () => {
    const verifier = createVerifier({
      jwks: { keys: [{ ...rsaC.publicJwk, kid: 'c', alg: 'RSA-OAEP' }, { ...rsaA.publicJwk, kid: 'a' }] },
      ...CLAIM_OPTIONS,
    });
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256', validClaims(), { kid: 'c' })), 'key_not_found');
  });

  it('verifies HS256 with an oct JWK set', async () => {
    const k = Buffer.from(SECRET_32).toString('base64url');
    const verifier = createVerifier({ jwks: { keys: [{ kty: 'oct', k, kid: 'h1' }] }, ...CLAIM_OPTIONS });
    expect(verifier.algorithms).toEqual(['HS256']);
    await expect(verifier.verify(await sign(SECRET_32, 'HS256', validClaims(), { kid: 'h1' }))).resolves.toBeDefined();
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256', validClaims(), { kid: 'h2' })), 'key_not_found');
  });
});

describe('getKey', () => {
  it('is called with the parsed header and the token, and its key verifies', async () => {
    const calls: Array<[TokenHeader, string]> = [];
    const getKey: GetKey = (header, token) => {
      calls.push([header, token]);
      return rsaA.publicKey;
    };
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    const token = await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'k-1' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ payload: { sub: 'user-1' } });
    expect(calls).toEqual([[{ alg: 'RS256', kid: 'k-1' }, token]]);
  });

  it('accepts an async resolver and a list of keys, tried in order', async () => {
    const verifier = createVerifier({
      getKey: async () => [rsaA.publicPem, rsaB.publicJwk],
      algorithms: ['RS256'],
      ...CLAIM_OPTIONS,
    });
    await expect(verifier.verify(await sign(rsaB.privateKey, 'RS256'))).resolves.toBeDefined();
    await rejection(verifier.verify(await sign(rsaC.privateKey, 'RS256')), 'signature_invalid');
  });

  it('imports a returned key once and reuses it (cached by identity)', async () => {
    let reads = 0;
    const jwk = new Proxy(rsaA.publicJwk, {
      get(target, property, receiver) {
        if (property === 'kty') reads += 1;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const getKey = vi.fn(() => jwk);
    // No result cache here, so getKey runs each time and only the import is reused.
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], getKeyCacheTtl: 0, ...CLAIM_OPTIONS });
    const token = await sign(rsaA.privateKey, 'RS256');
    await verifier.verify(token);
    const readsAfterFirst = reads;
    expect(readsAfterFirst).toBeGreaterThan(0);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(getKey).toHaveBeenCalledTimes(3);
    expect(reads).toBe(readsAfterFirst);
  });

  it('reuses a getKey result per (iss, kid, alg) for getKeyCacheTtl, sharing concurrent lookups', async () => {
    const getKey = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return rsaA.publicJwk;
    });
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], getKeyCacheTtl: 0.3, ...CLAIM_OPTIONS });
    const token = await sign(rsaA.privateKey, 'RS256');
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    expect(getKey).toHaveBeenCalledTimes(1);
    await verifier.verify(await sign(rsaA.privateKey, 'RS256', undefined, { kid: 'other-kid' }));
    expect(getKey).toHaveBeenCalledTimes(2);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await verifier.verify(token);
    expect(getKey).toHaveBeenCalledTimes(3);
  });

  it('never caches a failing getKey: the next request asks again', async () => {
    let calls = 0;
    const verifier = createVerifier({
      getKey: () => {
        calls += 1;
        if (calls === 1) throw new Error('secret manager down');
        return rsaA.publicJwk;
      },
      algorithms: ['RS256'],
      ...CLAIM_OPTIONS,
    });
    const token = await sign(rsaA.privateKey, 'RS256');
    await rejection(verifier.verify(token), 'key_source_unavailable', 503);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(calls).toBe(2);
  });

  it('imports a returned string as a secret for HS* tokens', async () => {
    const verifier = createVerifier({ getKey: () => SECRET_32, algorithms: ['HS256'], ...CLAIM_OPTIONS });
    await expect(verifier.verify(await sign(SECRET_32, 'HS256'))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(SECRET_32, 'HS256'))).resolves.toBeDefined();
    await rejection(verifier.verify(await sign(SECRET_64, 'HS256')), 'signature_invalid');
  });

  it('turns undefined (or null) into key_not_found', async () => {
    for (const result of [undefined, null]) {
      const verifier = createVerifier({ getKey: () => result as undefined, algorithms: ['RS256'], ...CLAIM_OPTIONS });
      const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'key_not_found', 401);
      expect(error.hint).toMatch(/^the token has no kid and no configured key verifies its alg "RS256"; /);
    }
  });

  it('turns a key that cannot serve the algorithm into key_not_found', async () => {
    const ec = ecPair('P-256');
    const verifier = createVerifier({ getKey: () => ec.publicKey, algorithms: ['RS256', 'ES256'], ...CLAIM_OPTIONS });
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'key_not_found');
  });

  it('turns a throwing resolver into key_source_unavailable (503)', async () => {
    const verifier = createVerifier({
      getKey: () => {
        throw new Error('vault is down');
      },
      algorithms: ['RS256'],
      ...CLAIM_OPTIONS,
    });
    const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'key_source_unavailable', 503);
    expect(error.message).toBe('The token signing keys are temporarily unavailable.');
    expect(error.hint).toBe('getKey() threw: vault is down');
    expect(error.wwwAuthenticate).toBeUndefined();
  });

  it('turns a rejected promise into key_source_unavailable', async () => {
    const verifier = createVerifier({ getKey: () => Promise.reject(new Error('timeout')), algorithms: ['RS256'], ...CLAIM_OPTIONS });
    await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'key_source_unavailable', 503);
  });

  it('refuses a returned key jwt-guard would refuse at start-up', async () => {
    const verifier = createVerifier({ getKey: () => rsa1024.publicKey, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'key_source_unavailable', 503);
    expect(error.hint).toContain('getKey() returned a key jwt-guard refuses');
    expect(error.hint).toContain('1024-bit RSA key');
  });

  it('is not called for malformed tokens or disallowed algorithms', async () => {
    const getKey = vi.fn(() => rsaA.publicKey);
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    await rejection(verifier.verify('opaque-token'), 'token_malformed');
    await rejection(verifier.verify(await sign(SECRET_32, 'HS256')), 'algorithm_not_allowed');
    expect(getKey).not.toHaveBeenCalled();
  });

  it('refuses an HMAC secret returned for a public-key algorithm', async () => {
    const verifier = createVerifier({ getKey: () => SECRET_32, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    const error = await rejection(verifier.verify(await sign(rsaA.privateKey, 'RS256')), 'key_source_unavailable');
    expect(error.hint).toContain('is not a PEM key');
    expect(error.hint).not.toContain(SECRET_32);
  });
});

describe('start-up key import', () => {
  it('imports once: a verifier keeps working after the caller mutates its JWK', async () => {
    const jwk = { ...rsaA.publicJwk };
    const verifier = createVerifier({ publicKey: jwk, ...CLAIM_OPTIONS });
    jwk.n = rsaB.publicJwk.n;
    await expect(verifier.verify(await sign(rsaA.privateKey, 'RS256'))).resolves.toBeDefined();
  });

  it('refuses key material at start-up, not at the first request', () => {
    expect(configError(() => createVerifier({ publicKey: rsa1024.publicKey, ...CLAIM_OPTIONS })).message).toContain('1024-bit');
  });
});

describe('getKey cannot be wedged or flooded (issue 12, rule 5)', () => {
  const neverSettles = () => new Promise<never>(() => undefined);

  it('a getKey that never settles: its requests get 503 after getKeyTimeout, the lookup is dropped, the next request asks again', async () => {
    let calls = 0;
    let hang = true;
    const verifier = createVerifier({
      getKey: () => {
        calls += 1;
        return hang ? neverSettles() : rsaA.publicKey;
      },
      algorithms: ['RS256'],
      getKeyTimeout: 0.2,
      ...CLAIM_OPTIONS,
    });
    const token = await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'k1' });
    const started = performance.now();
    // Concurrent requests share the one call, and all of them are answered when it is dropped.
    const errors = await Promise.all(Array.from({ length: 5 }, () => rejection(verifier.verify(token), 'key_source_unavailable', 503)));
    expect(performance.now() - started).toBeLessThan(1500);
    expect(calls).toBe(1);
    expect(errors[0]!.hint).toBe('getKey() did not answer within getKeyTimeout (0.2 s); the lookup was dropped');
    // Dropped, not cached: the next request calls getKey again (and now gets its answer).
    hang = false;
    await expect(verifier.verify(token)).resolves.toBeDefined();
    expect(calls).toBe(2);
  });

  it('the default getKeyTimeout is 5 s', async () => {
    const token = await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'k1' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const verifier = createVerifier({ getKey: neverSettles, algorithms: ['RS256'], ...CLAIM_OPTIONS });
      let settled = false;
      const answer = rejection(verifier.verify(token), 'key_source_unavailable', 503).finally(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(4_900);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(200);
      expect((await answer).hint).toContain('getKeyTimeout (5 s)');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a late answer or a late rejection of a dropped lookup is ignored, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let call = 0;
      const verifier = createVerifier({
        getKey: () => {
          call += 1;
          const rejectLate = call === 1;
          return new Promise((resolve, reject) => setTimeout(() => (rejectLate ? reject(new Error('vault timed out')) : resolve(rsaB.publicKey)), 150));
        },
        algorithms: ['RS256'],
        getKeyTimeout: 0.05,
        ...CLAIM_OPTIONS,
      });
      const token = await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'k1' });
      await rejection(verifier.verify(token), 'key_source_unavailable', 503);
      await rejection(verifier.verify(token), 'key_source_unavailable', 503);
      await sleep(250);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('500 tokens with random kids make at most 10 getKey calls per getKeyCooldown, each answered key_not_found at once', async () => {
    const asked: string[] = [];
    const verifier = createVerifier({
      getKey: async (header) => {
        asked.push(header.kid ?? '');
        await sleep(20);
        return header.kid === 'k1' ? rsaA.publicKey : undefined;
      },
      algorithms: ['RS256'],
      getKeyCacheTtl: 0.1,
      getKeyCooldown: 0.5,
      ...CLAIM_OPTIONS,
    });
    const legit = await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'k1' });
    const forged = await Promise.all(Array.from({ length: 500 }, (_, i) => sign(rsaB.privateKey, 'RS256', validClaims(), { kid: `random-${i}` })));
    await verifier.verify(legit);
    // The legit result has expired (the next legit request looks it up again), and so has the cooldown window.
    await sleep(550);

    const started = performance.now();
    const answers = await Promise.all(forged.map((token) => rejection(verifier.verify(token), 'key_not_found', 401)));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(asked.filter((kid) => kid !== 'k1')).toHaveLength(10);
    expect(answers.filter((error) => error.hint?.startsWith('getKey() was not asked'))).toHaveLength(490);
    expect(answers.at(-1)!.hint).toBe('getKey() was not asked: more than 10 lookups of kids never seen with a key within getKeyCooldown (0.5 s)');
    // A kid that resolved before is never held back by the flood.
    await expect(verifier.verify(legit)).resolves.toBeDefined();
    expect(asked.filter((kid) => kid === 'k1')).toHaveLength(2);
    // After the cooldown, new kids are looked up again.
    await sleep(550);
    await rejection(verifier.verify(forged[0]!), 'key_not_found', 401);
    expect(asked.filter((kid) => kid !== 'k1')).toHaveLength(11);
  });

  it('several genuine kids at start-up are all looked up: the limit only bites a flood', async () => {
    const keys = { a: rsaA, b: rsaB, c: rsaC } as const;
    const verifier = createVerifier({ getKey: (header) => keys[header.kid as keyof typeof keys]?.publicKey, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    const tokens = await Promise.all((['a', 'b', 'c'] as const).map((kid) => sign(keys[kid].privateKey, 'RS256', validClaims(), { kid })));
    await Promise.all(tokens.map((token) => expect(verifier.verify(token)).resolves.toBeDefined()));
  });

  it('a "no key" answer is remembered briefly: a replayed forged token costs one call, then is asked again', async () => {
    const getKey = vi.fn(() => undefined);
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], getKeyCacheTtl: 0.2, ...CLAIM_OPTIONS });
    const forged = await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'unknown' });
    for (let i = 0; i < 50; i += 1) await rejection(verifier.verify(forged), 'key_not_found', 401);
    expect(getKey).toHaveBeenCalledTimes(1);
    await sleep(250);
    await rejection(verifier.verify(forged), 'key_not_found', 401);
    expect(getKey).toHaveBeenCalledTimes(2);
  });

  it('remembers "no key" for 30 s at most, even with a longer getKeyCacheTtl', async () => {
    const clock = movableClock();
    try {
      const getKey = vi.fn((header: TokenHeader) => (header.kid === 'k1' ? rsaA.publicKey : undefined));
      const verifier = createVerifier({ getKey, algorithms: ['RS256'], getKeyCacheTtl: '1h', ...CLAIM_OPTIONS });
      const forged = await sign(rsaB.privateKey, 'RS256', validClaims(), { kid: 'unknown' });
      const legit = await sign(rsaA.privateKey, 'RS256', validClaims(), { kid: 'k1' });
      await rejection(verifier.verify(forged), 'key_not_found', 401);
      await verifier.verify(legit);
      clock.advance(29_000);
      await rejection(verifier.verify(forged), 'key_not_found', 401);
      expect(getKey).toHaveBeenCalledTimes(2);
      clock.advance(2_000);
      await rejection(verifier.verify(forged), 'key_not_found', 401);
      await verifier.verify(legit);
      expect(getKey).toHaveBeenCalledTimes(3); // the key is still cached for its hour
    } finally {
      clock.restore();
    }
  });

  it('random issuers are limited like random kids (the token chooses its iss too)', async () => {
    const getKey = vi.fn(() => undefined);
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], ...CLAIM_OPTIONS });
    const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => sign(rsaB.privateKey, 'RS256', validClaims({ iss: `https://evil-${i}.example/` }))));
    await Promise.all(forged.map((token) => rejection(verifier.verify(token), 'key_not_found', 401)));
    expect(getKey).toHaveBeenCalledTimes(10);
  });

  it('getKeyCooldown: 0 removes the limit', async () => {
    const getKey = vi.fn(() => undefined);
    const verifier = createVerifier({ getKey, algorithms: ['RS256'], getKeyCooldown: 0, ...CLAIM_OPTIONS });
    const forged = await Promise.all(Array.from({ length: 30 }, (_, i) => sign(rsaB.privateKey, 'RS256', validClaims(), { kid: `random-${i}` })));
    await Promise.all(forged.map((token) => rejection(verifier.verify(token), 'key_not_found', 401)));
    expect(getKey).toHaveBeenCalledTimes(30);
  });

  it.each([
    [{ getKeyTimeout: 0 }, /getKeyTimeout must be greater than zero/],
    [{ getKeyTimeout: 'soon' }, /getKeyTimeout must be a non-negative number/],
    [{ getKeyCooldown: -1 }, /getKeyCooldown must be a non-negative number/],
  ])('refuses %o at start-up', (options, message) => {
    expect(configError(() => createVerifier({ getKey: () => rsaA.publicKey, algorithms: ['RS256'], ...CLAIM_OPTIONS, ...(options as object) })).message).toMatch(message);
  });
});
