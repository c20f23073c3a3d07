import { generateKeyPairSync } from 'node:crypto';
import { createVerifier, secretFromEnv, type ErrorCode, type JWK } from '@jwt-guard/core';
import { decodeProtectedHeader } from 'jose';
import { createTestIssuer, importTestKeys, type TestIssuer } from '@jwt-guard/testing';
import { afterEach, describe, expect, it } from 'vitest';

const SECRET_A = 'kid-a: Zr8Qe2Wt6Yu0Io4Pa9Sd3Fg7Hj1Kl5Xc';
const SECRET_B = 'kid-b: q7Lm2xV9pR4tW8zK1cN6bH3jF5gD0sYa';

const open: TestIssuer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((issuer) => issuer.close()));
});
async function issuerWith(options: Parameters<typeof createTestIssuer>[0]): Promise<TestIssuer> {
  const issuer = await createTestIssuer(options);
  open.push(issuer);
  return issuer;
}

async function refusal(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: ErrorCode }).code;
  }
  throw new Error('the token was accepted');
}

describe('createTestIssuer({ algorithm: "HS256", secret, kid })', () => {
  it("signs with the user's own secret: a verifier built from that secret (not from verifierOptions) accepts", async () => {
    const issuer = await issuerWith({ algorithm: 'HS256', secret: SECRET_A, kid: 'kid-a' });
    const token = await issuer.sign({ scope: 'orders:read' });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', kid: 'kid-a' });
    const verifier = createVerifier({ secret: SECRET_A, issuer: issuer.issuer, audience: issuer.audience });
    expect((await verifier.verify(token)).scopes.has('orders:read')).toBe(true);
    expect(issuer.keys.kid).toBe('kid-a');
    expect(issuer.jwksUri).toBeUndefined();
  });

  it('verifierOptions() gives back the same secret, in the form it was given', async () => {
    const issuer = await issuerWith({ secret: SECRET_A });
    expect(issuer.algorithm).toBe('HS256');
    expect(issuer.verifierOptions().secret).toBe(SECRET_A);
    await expect(createVerifier(issuer.verifierOptions()).verify(await issuer.sign())).resolves.toBeDefined();
    await expect(createVerifier(issuer.verifierOptions({ source: 'jwks' })).verify(await issuer.sign())).resolves.toBeDefined();
  });

  it('takes the decoded bytes of secretFromEnv', async () => {
    const env = { JWT_SECRET: Buffer.from(SECRET_B).toString('base64url') };
    const secret = secretFromEnv('JWT_SECRET', { env, encoding: 'base64url' });
    const issuer = await issuerWith({ algorithm: 'HS256', secret });
    await expect(createVerifier({ secret: SECRET_B, issuer: issuer.issuer, audience: issuer.audience }).verify(await issuer.sign())).resolves.toBeDefined();
    // The base64url text itself is another key.
    expect(await refusal(createVerifier({ secret: env.JWT_SECRET, issuer: issuer.issuer, audience: issuer.audience }).verify(await issuer.sign()))).toBe(
      'signature_invalid',
    );
  });

  it('HS384 and HS512 with a secret of their size', async () => {
    for (const [algorithm, secret] of [['HS384', SECRET_A + SECRET_B.slice(0, 16)], ['HS512', SECRET_A + SECRET_B]] as const) {
      const issuer = await issuerWith({ algorithm, secret });
      await expect(createVerifier({ secret, algorithms: [algorithm], issuer: issuer.issuer, audience: issuer.audience }).verify(await issuer.sign())).resolves.toBeDefined();
    }
  });

  it('rotation: issuers with kid-a and kid-b, one verifier with both secrets', async () => {
    const a = await issuerWith({ algorithm: 'HS256', secret: SECRET_A, kid: 'kid-a' });
    const b = await issuerWith({ algorithm: 'HS256', secret: SECRET_B, kid: 'kid-b' });
    const both = createVerifier({
      secret: [
        { kid: 'kid-b', secret: SECRET_B },
        { kid: 'kid-a', secret: SECRET_A },
      ],
      issuer: a.issuer,
      audience: a.audience,
    });
    await expect(both.verify(await a.sign())).resolves.toBeDefined();
    await expect(both.verify(await b.sign())).resolves.toBeDefined();
    // Once kid-a is retired, its tokens are refused; a token claiming kid-b but signed with A's secret too.
    const onlyB = createVerifier({ secret: [{ kid: 'kid-b', secret: SECRET_B }], issuer: a.issuer, audience: a.audience });
    expect(await refusal(onlyB.verify(await a.sign()))).toBe('key_not_found');
    expect(await refusal(onlyB.verify(await a.sign({}, { header: { kid: 'kid-b' } })))).toBe('signature_invalid');
  });
});

describe('createTestIssuer({ algorithm, privateKey, kid })', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');

  it('signs with a KeyObject; verifierOptions gives the public key, JWKS served with the kid', async () => {
    const issuer = await issuerWith({ algorithm: 'ES256', privateKey: ec.privateKey, kid: 'ec-1' });
    const token = await issuer.sign();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'ec-1' });
    for (const source of ['jwks', 'publicKey', 'jwksUri'] as const) {
      await expect(createVerifier(issuer.verifierOptions({ source })).verify(token)).resolves.toBeDefined();
    }
    const served = (await (await fetch(issuer.jwksUri!)).json()) as { keys: JWK[] };
    expect(served.keys).toMatchObject([{ kid: 'ec-1', alg: 'ES256', kty: 'EC', crv: 'P-256' }]);
    expect(served.keys[0]).not.toHaveProperty('d');
    // The user's own public key verifies, without verifierOptions.
    await expect(createVerifier({ publicKey: ec.publicKey, issuer: issuer.issuer, audience: issuer.audience }).verify(token)).resolves.toBeDefined();
  });

  it('takes a PEM (RS256 inferred) and a private JWK (its alg and kid used)', async () => {
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const fromPem = await issuerWith({ privateKey: pem, kid: 'rsa-1' });
    expect(fromPem.algorithm).toBe('RS256');
    const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(
      createVerifier({ publicKey: rsaPublicPem, issuer: fromPem.issuer, audience: fromPem.audience }).verify(await fromPem.sign()),
    ).resolves.toBeDefined();

    const jwk: JWK = { ...ed.privateKey.export({ format: 'jwk' }), kid: 'ed-1', alg: 'EdDSA' };
    const fromJwk = await issuerWith({ privateKey: jwk });
    expect(fromJwk.algorithm).toBe('EdDSA');
    expect(decodeProtectedHeader(await fromJwk.sign()).kid).toBe('ed-1');
    await expect(createVerifier(fromJwk.verifierOptions({ source: 'jwksUri' })).verify(await fromJwk.sign())).resolves.toBeDefined();
  });

  it('PS256 with an RSA key', async () => {
    const issuer = await issuerWith({ algorithm: 'PS256', privateKey: rsa.privateKey });
    await expect(createVerifier(issuer.verifierOptions()).verify(await issuer.sign())).resolves.toBeDefined();
  });

  it.each([
    ['a secret for an asymmetric algorithm', () => importTestKeys('RS256', { secret: SECRET_A }), /a secret signs HS256, HS384 or HS512, not RS256/],
    ['a private key for HMAC', () => importTestKeys('HS256', { privateKey: ec.privateKey }), /a private key signs RS\*, PS\*, ES\* or EdDSA, not HS256/],
    ['both', () => importTestKeys(undefined, { secret: SECRET_A, privateKey: ec.privateKey }), /exactly one of secret .* or privateKey/],
    ['a public key', () => importTestKeys('ES256', { privateKey: ec.publicKey }), /privateKey is a public key; signing needs the private key/],
    ['a public JWK', () => importTestKeys('ES256', { privateKey: ec.publicKey.export({ format: 'jwk' }) }), /must be a private KeyObject, a PEM private key, or a private JWK/],
    ['the wrong curve', () => importTestKeys('ES384', { privateKey: ec.privateKey }), /an EC prime256v1 key, which cannot sign ES384/],
    ['the wrong key type', () => importTestKeys('EdDSA', { privateKey: rsa.privateKey }), /an rsa key, which cannot sign EdDSA/],
    ['a JWK whose alg disagrees', () => importTestKeys('RS384', { privateKey: { ...rsa.privateKey.export({ format: 'jwk' }), alg: 'RS256' } }), /the JWK says alg RS256, not RS384/],
    ['an empty secret', () => importTestKeys('HS256', { secret: '' }), /secret must be a non-empty string or Uint8Array/],
    ['garbage PEM', () => importTestKeys('RS256', { privateKey: 'not a key' }), /could not be read as a private key/],
  ])('refuses %s', (_label, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('createTestIssuer: what the verifier would refuse fails at once, with its message', () => {
  /** The verifier's own message for `secret`, so the issuer's is compared with it rather than with a copy. */
  function verifierMessage(secret: string, algorithm: 'HS256' | 'HS512' = 'HS256'): string {
    try {
      createVerifier({ secret, algorithms: [algorithm], issuer: 'https://i.test/', audience: 'a' });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('the verifier accepted the secret');
  }

  it.each([
    ['too short for HS256', 'hunter2-but-longer', 'HS256'],
    ['too short for HS512', SECRET_A, 'HS512'],
    ['a placeholder word', 'changemechangemechangemechangeme1234', 'HS256'],
    ["jwt.io's default", 'your-256-bit-secret-your-256-bit-secret', 'HS256'],
    ['a repeated character', 'a'.repeat(64), 'HS256'],
  ] as const)('a secret %s', async (_label, secret, algorithm) => {
    const message = verifierMessage(secret, algorithm);
    await expect(createTestIssuer({ algorithm, secret })).rejects.toMatchObject({ code: 'config_invalid', message });
  });

  it('an unknown option name, with the one meant', async () => {
    const typo = { algorithm: 'HS256', secrte: SECRET_A } as unknown as Parameters<typeof createTestIssuer>[0];
    await expect(createTestIssuer(typo)).rejects.toThrow('createTestIssuer: unknown option "secrte"; did you mean "secret"?');
    const unrelated = { audiance: 'x', lifetime: 5 } as unknown as Parameters<typeof createTestIssuer>[0];
    await expect(createTestIssuer(unrelated)).rejects.toThrow('createTestIssuer: unknown option "audiance"; did you mean "audience"?');
    await expect(createTestIssuer({ lifetime: 5 } as unknown as Parameters<typeof createTestIssuer>[0])).rejects.toThrow(/unknown option "lifetime"\.$/);
  });
});
