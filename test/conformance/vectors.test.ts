/**
 * Every public vector through the full verifier (or, for non-JWT payloads, its signature layer),
 * once per signature backend: `node:crypto` (the fast default) and WebCrypto via jose. The two must
 * agree with each other and with the expected verdict — the differential test of the fast path.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJwsVerifier, createVerifier, type Algorithm, type JWK } from '@jwt-guard/core';

interface VectorCase {
  id: string;
  description: string;
  token: string;
  expect: 'accept' | 'reject';
  strictness: 'required' | 'recommended';
  payloadIsJwt: boolean;
  keys: JWK[];
  algorithms: Algorithm[];
  issuer: string | null;
  audience: string | null;
  typ: string | null;
  requiredClaims: string[] | null;
  now: number;
  clockTolerance: number | null;
}

const load = (file: string) => JSON.parse(readFileSync(new URL(`./vectors/${file}`, import.meta.url), 'utf8')) as VectorCase[];
const CASES = [...load('rfc-examples.json'), ...load('wycheproof-jws.json'), ...load('wycheproof-jwk.json')];
const BACKENDS = ['node', 'webcrypto'] as const;

async function verdict(vector: VectorCase, cryptoBackend: (typeof BACKENDS)[number]): Promise<'accept' | `reject:${string}`> {
  try {
    if (!vector.payloadIsJwt) {
      await createJwsVerifier({ jwks: { keys: vector.keys }, algorithms: vector.algorithms, cryptoBackend }).verify(vector.token);
      return 'accept';
    }
    const required = vector.requiredClaims ?? [];
    await createVerifier({
      jwks: { keys: vector.keys },
      algorithms: vector.algorithms,
      issuer: vector.issuer ?? false,
      audience: vector.audience ?? false,
      ...(vector.typ === null ? {} : { typ: vector.typ }),
      requireExp: required.includes('exp'),
      requiredClaims: required.filter((claim) => claim !== 'exp'),
      currentDate: new Date(vector.now * 1000),
      clockTolerance: vector.clockTolerance ?? 0,
      cryptoBackend,
    }).verify(vector.token);
    return 'accept';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Only our own typed errors count as a refusal; anything else is a bug.
    if (typeof code !== 'string' || !(error instanceof Error) || error.name !== 'JwtGuardError') throw error;
    return `reject:${code}`;
  }
}

describe('public JWS/JWK vectors (Wycheproof, RFC 7515/7520/8037)', () => {
  it('loads every case', () => {
    expect(CASES).toHaveLength(16 + 197 + 26);
  });

  it.each(CASES.map((vector) => [vector.id, vector] as const))('%s', async (_id, vector) => {
    const [viaNode, viaWebCrypto] = await Promise.all(BACKENDS.map((backend) => verdict(vector, backend)));
    // Differential: both backends give the same verdict, down to the error code.
    expect(viaNode, `${vector.description}: node vs webcrypto`).toBe(viaWebCrypto);
    const outcome = viaNode === 'accept' ? 'accept' : 'reject';
    expect(outcome, `${vector.description} (${vector.strictness})`).toBe(vector.expect);
  });
});
