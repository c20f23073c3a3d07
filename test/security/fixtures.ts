/**
 * Fixtures of the attack suite: the trusted issuers, an attacker with keys of their own, a canary
 * server on 127.0.0.1 that counts every request (the jku/x5u targets), and the guard
 * configurations the cases run under.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GuardOptions, JWK } from '@jwt-guard/core';
import { createTestIssuer, serveJwks, type JwksServer, type TestIssuer } from '@jwt-guard/testing';

/** The fixed clock of the claim cases: 2030-03-17T17:46:40Z. */
export const NOW = 1_900_000_000;

export interface Canary {
  origin: string;
  /** Every request that reached the server, on any path. */
  requests(): readonly string[];
  close(): Promise<void>;
}

export interface Attacker {
  /** RSA key pair behind the self-signed certificate in fixtures/attacker-cert.pem. */
  rsaPrivate: KeyObject;
  rsaPublic: KeyObject;
  rsaJwk: JWK;
  /** The certificate, base64 DER (as `x5c` carries it). */
  certDer: string;
  ecPrivate: KeyObject;
  ecJwk: JWK;
  /** An RSA key under 2048 bits, published by a JWKS the guard trusts (and must skip). */
  weakPrivate: KeyObject;
  weakJwk: JWK;
}

export interface SecurityFixtures {
  rs: TestIssuer;
  es: TestIssuer;
  hs: TestIssuer;
  ed: TestIssuer;
  /** An Ed448 key pair (EdDSA, RFC 8037), which @jwt-guard/testing does not make: the backends must agree on it too. */
  ed448: { privateKey: KeyObject; jwk: JWK };
  attacker: Attacker;
  canary: Canary;
  /** A JWKS with the trusted RS256 key and a 1024-bit key under kid "weak-1024". */
  mixedJwks: JwksServer;
  close(): Promise<void>;
}

export type ConfigName =
  | 'RS256' | 'RS256-pem' | 'RS256-jwksUri' | 'RSA-multi' | 'ES256' | 'ES256-pem' | 'HS256' | 'EdDSA'
  | 'clock' | 'clock-tolerance' | 'max-age' | 'at+jwt' | 'mixed-jwksUri' | 'aud-list' | 'Ed448';

/** Verifier options only (so the same object also builds a bare core verifier). */
export function configFor(name: ConfigName, fx: SecurityFixtures): GuardOptions {
  const { rs, es } = fx;
  const fixedClock = { currentDate: new Date(NOW * 1000) };
  switch (name) {
    case 'RS256': return rs.verifierOptions();
    case 'RS256-pem': return rs.verifierOptions({ source: 'publicKey' });
    case 'RS256-jwksUri': return rs.verifierOptions({ source: 'jwksUri' });
    case 'RSA-multi': return { ...rs.verifierOptions({ source: 'publicKey' }), algorithms: ['RS256', 'RS384', 'PS256'] };
    case 'ES256': return es.verifierOptions();
    case 'ES256-pem': return es.verifierOptions({ source: 'publicKey' });
    case 'HS256': return fx.hs.verifierOptions();
    case 'EdDSA': return fx.ed.verifierOptions();
    case 'clock': return { ...rs.verifierOptions(), ...fixedClock };
    case 'clock-tolerance': return { ...rs.verifierOptions(), ...fixedClock, clockTolerance: '30s' };
    case 'max-age': return { ...rs.verifierOptions(), ...fixedClock, maxTokenAge: '1h' };
    case 'at+jwt': return { ...rs.verifierOptions(), typ: 'at+jwt' };
    case 'mixed-jwksUri': return { ...rs.verifierOptions(), jwks: undefined, jwksUri: fx.mixedJwks.url, algorithms: ['RS256'] };
    case 'aud-list': return { ...rs.verifierOptions(), audience: ['https://api-a.jwt-guard.test', 'https://api-b.jwt-guard.test'] };
    case 'Ed448': return { jwks: { keys: [fx.ed448.jwk] }, issuer: fx.ed.issuer, audience: fx.ed.audience };
  }
}

export const CONFIG_NAMES: readonly ConfigName[] = [
  'RS256', 'RS256-pem', 'RS256-jwksUri', 'RSA-multi', 'ES256', 'ES256-pem', 'HS256', 'EdDSA',
  'clock', 'clock-tolerance', 'max-age', 'at+jwt', 'mixed-jwksUri', 'aud-list', 'Ed448',
];

async function startCanary(attacker: Omit<Attacker, 'weakPrivate' | 'weakJwk'>): Promise<Canary> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url?.startsWith('/x5u')) {
      res.writeHead(200, { 'content-type': 'application/pem-certificate-chain' });
      res.end(readFileSync(new URL('./fixtures/attacker-cert.pem', import.meta.url)));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [attacker.rsaJwk, attacker.ecJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function createSecurityFixtures(): Promise<SecurityFixtures> {
  const [rs, es, hs, ed] = await Promise.all([
    createTestIssuer({ algorithm: 'RS256', kid: 'rs-trusted' }),
    createTestIssuer({ algorithm: 'ES256', kid: 'es-trusted' }),
    createTestIssuer({ algorithm: 'HS256', kid: 'hs-trusted' }),
    createTestIssuer({ algorithm: 'EdDSA', kid: 'ed-trusted' }),
  ]);
  const rsaPrivate = createPrivateKey(readFileSync(new URL('./fixtures/attacker-key.pem', import.meta.url)));
  const rsaPublic = createPublicKey(rsaPrivate);
  const certPem = readFileSync(new URL('./fixtures/attacker-cert.pem', import.meta.url), 'utf8');
  const certDer = certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const attackerBase = {
    rsaPrivate,
    rsaPublic,
    rsaJwk: { ...rsaPublic.export({ format: 'jwk' }), kid: 'attacker-rsa', alg: 'RS256', use: 'sig' } as JWK,
    certDer,
    ecPrivate: ec.privateKey,
    ecJwk: { ...ec.publicKey.export({ format: 'jwk' }), kid: 'attacker-ec', alg: 'ES256', use: 'sig' } as JWK,
  };
  const attacker: Attacker = {
    ...attackerBase,
    weakPrivate: weak.privateKey,
    weakJwk: { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak-1024', alg: 'RS256', use: 'sig' },
  };
  const ed448Pair = generateKeyPairSync('ed448');
  const ed448 = { privateKey: ed448Pair.privateKey, jwk: { ...ed448Pair.publicKey.export({ format: 'jwk' }), kid: 'ed448-trusted', use: 'sig' } as JWK };
  const canary = await startCanary(attackerBase);
  const mixedJwks = await serveJwks([rs.keys.jwk, attacker.weakJwk]);
  return {
    rs, es, hs, ed, ed448, attacker, canary, mixedJwks,
    close: async () => {
      await Promise.all([rs.close(), es.close(), hs.close(), ed.close(), canary.close(), mixedJwks.close()]);
    },
  };
}
