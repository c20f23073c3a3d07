/**
 * Interop: tokens minted by other JWT libraries — `jsonwebtoken` and `fast-jwt` — verify through
 * our stack (core `createVerifier`, then one adapter end to end), for every algorithm each library
 * signs; tokens they sign with a key we do not hold are refused, and so is the classic
 * "HS256 signed with the RSA public key" confusion token.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { decodeProtectedHeader } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type Algorithm, type GuardOptions, type JWK } from '@jwt-guard/core';
import { ADAPTERS, startApp, type AdapterName } from '../adapters/apps.js';

const ISSUER = 'https://issuer.interop.test/';
const AUDIENCE = 'https://orders.api.test';

type Signer = 'jsonwebtoken' | 'fast-jwt';
type Alg = Exclude<Algorithm, 'Ed25519'>;

const HMAC = ['HS256', 'HS384', 'HS512'] as const;
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
const EC = ['ES256', 'ES384', 'ES512'] as const;

/** What each library can sign: jsonwebtoken has no EdDSA, fast-jwt has. */
const SUPPORTED: Record<Signer, readonly Alg[]> = {
  jsonwebtoken: [...HMAC, ...RSA, ...EC],
  'fast-jwt': [...HMAC, ...RSA, ...EC, 'EdDSA'],
};

/** Every signer × algorithm, each checked end to end through one adapter (taking turns). */
const CASES = (Object.keys(SUPPORTED) as Signer[]).flatMap((signer) => SUPPORTED[signer].map((alg) => ({ signer, alg })));
const adapterFor = (index: number): AdapterName => ADAPTERS[index % ADAPTERS.length]!;

// --- Keys: made once for the file -------------------------------------------------------------------

interface AsymmetricKey {
  privateKey: KeyObject;
  privatePem: string;
  publicPem: string;
  publicJwk: JWK;
}

interface KeySet {
  rsa: AsymmetricKey;
  ec: Record<(typeof EC)[number], AsymmetricKey>;
  ed: AsymmetricKey;
  /** HMAC secrets of exactly the hash size (RFC 7518 §3.2): 32, 48, 64 bytes. */
  secret: Record<(typeof HMAC)[number], Buffer>;
}

function asymmetric(pair: { privateKey: KeyObject; publicKey: KeyObject }): AsymmetricKey {
  return {
    privateKey: pair.privateKey,
    privatePem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk: pair.publicKey.export({ format: 'jwk' }),
  };
}

function makeKeySet(): KeySet {
  return {
    rsa: asymmetric(generateKeyPairSync('rsa', { modulusLength: 2048 })),
    ec: {
      ES256: asymmetric(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
      ES384: asymmetric(generateKeyPairSync('ec', { namedCurve: 'P-384' })),
      ES512: asymmetric(generateKeyPairSync('ec', { namedCurve: 'P-521' })),
    },
    ed: asymmetric(generateKeyPairSync('ed25519')),
    secret: { HS256: randomBytes(32), HS384: randomBytes(48), HS512: randomBytes(64) },
  };
}

/** The keys the verifier trusts, and a second set it has never seen. */
let trusted: KeySet;
let stranger: KeySet;

beforeAll(() => {
  trusted = makeKeySet();
  stranger = makeKeySet();
});

const isHmac = (alg: Alg): alg is (typeof HMAC)[number] => (HMAC as readonly string[]).includes(alg);
const isEc = (alg: Alg): alg is (typeof EC)[number] => (EC as readonly string[]).includes(alg);

function asymmetricKeyFor(keys: KeySet, alg: Exclude<Alg, (typeof HMAC)[number]>): AsymmetricKey {
  if (isEc(alg)) return keys.ec[alg];
  return alg === 'EdDSA' ? keys.ed : keys.rsa;
}

/** Signing material in the form each library takes: the raw secret, or the private key PEM. */
function signingKey(keys: KeySet, alg: Alg): Buffer | string {
  return isHmac(alg) ? keys.secret[alg] : asymmetricKeyFor(keys, alg).privatePem;
}

/**
 * The guard's key source for `alg`, from the trusted set: the secret for HS*; for the others a
 * public PEM (RS*, EdDSA) or a public JWK (PS*, ES*), so both forms are exercised.
 */
function guardOptions(alg: Alg): GuardOptions {
  const checks = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
  if (isHmac(alg)) return { secret: trusted.secret[alg], ...checks };
  const key = asymmetricKeyFor(trusted, alg);
  return { publicKey: alg.startsWith('RS') || alg === 'EdDSA' ? key.publicPem : key.publicJwk, ...checks };
}

// --- The signers --------------------------------------------------------------------------------------

function subjectOf(signer: Signer, alg: Alg): string {
  return `${signer}:${alg}`;
}

function mint(signer: Signer, alg: Alg, keys: KeySet): string {
  const payload = { sub: subjectOf(signer, alg), scope: 'orders:read' };
  const key = signingKey(keys, alg);
  switch (signer) {
    case 'jsonwebtoken':
      if (alg === 'EdDSA') throw new Error('jsonwebtoken does not sign EdDSA');
      return jsonwebtoken.sign(payload, key, { algorithm: alg, issuer: ISSUER, audience: AUDIENCE, expiresIn: '5m' });
    case 'fast-jwt':
      return createSigner({ key, algorithm: alg, iss: ISSUER, aud: AUDIENCE, expiresIn: '5m' })(payload);
  }
}

// --- Tests --------------------------------------------------------------------------------------------

describe.each(CASES.map((testCase, index) => ({ ...testCase, adapter: adapterFor(index) })))(
  '$signer $alg',
  ({ signer, alg, adapter }) => {
    it('verifies with createVerifier: signature, issuer, audience, exp, scopes', async () => {
      const token = mint(signer, alg, trusted);
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, typ: 'JWT' });

      const verifier = createVerifier(guardOptions(alg));
      expect(verifier.algorithms).toEqual([alg]);
      const auth = await verifier.verify(token);
      expect(auth.header.alg).toBe(alg);
      expect(auth.payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: subjectOf(signer, alg) });
      expect(auth.payload.exp).toBeGreaterThan(Date.now() / 1000);
      expect([...auth.scopes]).toEqual(['orders:read']);

      // Issuer and audience are really checked: the same token against other expectations.
      await expect(createVerifier({ ...guardOptions(alg), issuer: 'https://someone-else.test/' }).verify(token)).rejects.toMatchObject({
        code: 'issuer_mismatch',
      });
      await expect(createVerifier({ ...guardOptions(alg), audience: 'https://another.api.test' }).verify(token)).rejects.toMatchObject({
        code: 'audience_mismatch',
      });
    });

    it(`is accepted end to end by ${adapter} (GET /me → 200)`, async () => {
      const app = await startApp(adapter, guardOptions(alg));
      try {
        const response = await request(app.server).get('/me').set('authorization', `Bearer ${mint(signer, alg, trusted)}`);
        expect(response.status).toBe(200);
        expect(response.body).toEqual({ sub: subjectOf(signer, alg), scopes: ['orders:read'] });
      } finally {
        await app.close();
      }
    });

    it(`signed with a key the guard does not hold: signature_invalid (core and ${adapter})`, async () => {
      const forged = mint(signer, alg, stranger);
      await expect(createVerifier(guardOptions(alg)).verify(forged)).rejects.toMatchObject({
        name: 'JwtGuardError',
        code: 'signature_invalid',
      });

      const app = await startApp(adapter, guardOptions(alg));
      try {
        const response = await request(app.server).get('/me').set('authorization', `Bearer ${forged}`);
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ error: 'signature_invalid' });
        expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      } finally {
        await app.close();
      }
    });
  },
);

describe('algorithm confusion: jsonwebtoken HS256 with the RSA public key PEM as the secret', () => {
  // jsonwebtoken 9 signs this happily: the PEM is not a private key, so it becomes an HMAC secret.
  const confusionToken = () =>
    jsonwebtoken.sign({ sub: 'attacker', scope: 'orders:read orders:write' }, trusted.rsa.publicPem, {
      algorithm: 'HS256',
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: '5m',
    });

  it.each([
    ['inferred (RS256)', undefined],
    ['every RSA algorithm allowed', [...RSA]],
  ] as const)('is refused by createVerifier with algorithm_not_allowed, algorithms %s', async (_label, algorithms) => {
    const token = confusionToken();
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const verifier = createVerifier({
      publicKey: trusted.rsa.publicPem,
      issuer: ISSUER,
      audience: AUDIENCE,
      ...(algorithms === undefined ? {} : { algorithms }),
    });
    expect(verifier.algorithms).toEqual(algorithms ?? ['RS256']);
    await expect(verifier.verify(token)).rejects.toMatchObject({ name: 'JwtGuardError', code: 'algorithm_not_allowed' });
  });

  it('cannot even be configured: HS256 with a public key is config_invalid at start-up', () => {
    expect(() => createVerifier({ publicKey: trusted.rsa.publicPem, issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] })).toThrow(
      expect.objectContaining({ name: 'JwtGuardError', code: 'config_invalid' }),
    );
  });

  it.each(ADAPTERS)('is refused by %s with 401 algorithm_not_allowed', async (adapter) => {
    const app = await startApp(adapter, { publicKey: trusted.rsa.publicPem, issuer: ISSUER, audience: AUDIENCE });
    try {
      const response = await request(app.server).get('/me').set('authorization', `Bearer ${confusionToken()}`);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: 'algorithm_not_allowed' });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    } finally {
      await app.close();
    }
  });
});
