import { closestName, createVerifier, type JWK, type VerifierOptions } from '@jwt-guard/core';
import { serveJwks, type JwksServer } from './jwks-server.js';
import type { KeyObject } from 'node:crypto';
import { generateTestKeys, importTestKeys, isHmacAlgorithm, type TestAlgorithm, type TestKeys } from './keys.js';
import { mintToken, type MintOptions } from './sign.js';

/** The issuer used when none is given. */
export const DEFAULT_TEST_ISSUER = 'https://issuer.jwt-guard.test/';
/** The audience used when none is given. */
export const DEFAULT_TEST_AUDIENCE = 'https://api.jwt-guard.test';

const WRONG_ISSUER = 'https://wrong-issuer.jwt-guard.test/';
const WRONG_AUDIENCE = 'https://wrong-audience.jwt-guard.test';
const HOUR = 3600;

/** Verifier options produced by {@link TestIssuer.verifierOptions}: spread them into `createVerifier` or `jwtGuard`. */
export type TestVerifierOptions = Partial<VerifierOptions> & { issuer: string; audience: string };

/** Where {@link TestIssuer.verifierOptions} tells the verifier to find the keys. */
export type TestKeySource = 'jwks' | 'jwksUri' | 'publicKey' | 'secret';

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** Default `'RS256'`. */
  algorithm?: TestAlgorithm;
  /** Default `'https://issuer.jwt-guard.test/'`. */
  issuer?: string;
  /** Default `'https://api.jwt-guard.test'`. */
  audience?: string;
  /** Serve the public JWKS on 127.0.0.1. Default `true` for asymmetric algorithms; not possible for HS*. */
  serveJwks?: boolean;
  /** The key id, in every token header and in the JWK; default random (or the private JWK's own `kid`). */
  kid?: string;
  /**
   * HS*: sign with this secret instead of a fresh random one — the one your app reads, e.g.
   * `process.env.JWT_SECRET` (a string's UTF-8 bytes are the key, as for the verifier's `secret`).
   * `algorithm` defaults to HS256 when a secret is given.
   */
  secret?: string | Uint8Array;
  /**
   * RS*, PS*, ES*, EdDSA: sign with this private key (a `KeyObject`, a PEM or a private JWK)
   * instead of a fresh pair; its public half is what `verifierOptions()` and the JWKS server give.
   * `algorithm` defaults to the JWK's `alg`, else what the key type implies (RS256 for RSA).
   */
  privateKey?: KeyObject | string | JWK;
}

const OPTION_NAMES = ['algorithm', 'issuer', 'audience', 'serveJwks', 'kid', 'secret', 'privateKey'] as const satisfies readonly (keyof TestIssuerOptions)[];

/** A typo ({ secrte }) would silently give a random key that the app's verifier then refuses: refuse it here. */
function checkIssuerOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if ((OPTION_NAMES as readonly string[]).includes(name)) continue;
    const close = closestName(name, OPTION_NAMES);
    throw new TypeError(`createTestIssuer: unknown option "${name}"${close === undefined ? '.' : `; did you mean "${close}"?`}`);
  }
}

/**
 * A secret the verifier would refuse (too short for the algorithm, a placeholder) fails here, with
 * the verifier's own message: the verifier's check runs on it, rather than every test failing later.
 */
function checkSecretLikeTheVerifier(secret: string | Uint8Array, algorithm: TestAlgorithm): void {
  createVerifier({ secret, algorithms: [algorithm], issuer: DEFAULT_TEST_ISSUER, audience: DEFAULT_TEST_AUDIENCE });
}

/** A fake identity provider: one key, a JWKS endpoint, and token factories for the usual cases. */
export interface TestIssuer {
  algorithm: TestAlgorithm;
  issuer: string;
  audience: string;
  keys: TestKeys;
  /** the JWKS served on 127.0.0.1 (asymmetric issuers only; undefined for HS*) */
  jwksUri: string | undefined;
  /** The key set: the public JWK for asymmetric issuers; the `oct` JWK (a secret, never served) for HS*. */
  jwks: { keys: JWK[] };
  /**
   * options ready to pass to createVerifier / jwtGuard: for HS* { secret, algorithms, issuer, audience };
   * for asymmetric { jwks (local set), algorithms, issuer, audience } — or with { source: 'jwksUri' } the jwksUri.
   * `source: 'publicKey'` gives the PEM public key; `source: 'jwks'` on an HS* issuer gives the `oct` JWK set.
   */
  verifierOptions(options?: { source?: TestKeySource }): TestVerifierOptions;
  /** a valid token with sane defaults: iss, aud, sub 'user-1', iat, exp +5m, jti */
  sign(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A token that expired an hour ago (iat two hours ago); `claims` are added, `exp`/`iat` stay expired. */
  expiredToken(claims?: Record<string, unknown>): Promise<string>;
  /** A token valid only from an hour from now (`nbf`); `claims` are added, `nbf` stays in the future. */
  notYetValidToken(claims?: Record<string, unknown>): Promise<string>;
  /** A token for another audience (`https://wrong-audience.jwt-guard.test`); `aud` is not overridable. */
  wrongAudienceToken(claims?: Record<string, unknown>): Promise<string>;
  /** A token from another issuer (`https://wrong-issuer.jwt-guard.test/`), signed with this issuer's key. */
  wrongIssuerToken(claims?: Record<string, unknown>): Promise<string>;
  /** a valid token carrying exactly these scopes (space-delimited `scope` claim) */
  tokenWithScopes(...scopes: string[]): Promise<string>;
  /**
   * A valid token with no scopes at all (no `scope`, `scp` or `permissions` claim, even if given in
   * `claims`): what a route behind `requireScope(...)` must answer with `403 insufficient_scope`.
   */
  tokenWithoutScopes(claims?: Record<string, unknown>): Promise<string>;
  /** Stops the JWKS server, if any. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Creates a test issuer: fresh keys for `algorithm` (default RS256) — or your own `secret` /
 * `privateKey` — its JWKS served on
 * 127.0.0.1 (asymmetric algorithms), and helpers that mint valid and deliberately invalid tokens.
 * Call `close()` when done (e.g. in `afterAll`).
 *
 * @example
 * ```ts
 * const own = await createTestIssuer({ algorithm: 'HS256', secret: process.env.JWT_SECRET, kid: '2026-11' });
 * const issuer = await createTestIssuer({ algorithm: 'ES256' });
 * const verifier = createVerifier(issuer.verifierOptions({ source: 'jwksUri' }));
 * await verifier.verify(await issuer.sign({ scope: 'orders:read' }));
 * await issuer.close();
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  checkIssuerOptionNames(options);
  const ownKeys =
    options.secret !== undefined || options.privateKey !== undefined
      ? importTestKeys(options.algorithm, {
        ...(options.secret === undefined ? {} : { secret: options.secret }),
        ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
        ...(options.kid === undefined ? {} : { kid: options.kid }),
      })
    : undefined;
  const algorithm = ownKeys?.algorithm ?? options.algorithm ?? 'RS256';
  if (options.secret !== undefined) checkSecretLikeTheVerifier(options.secret, algorithm);
  const issuer = options.issuer ?? DEFAULT_TEST_ISSUER;
  const audience = options.audience ?? DEFAULT_TEST_AUDIENCE;
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('createTestIssuer: issuer must be a non-empty string.');
  if (typeof audience !== 'string' || audience === '') throw new TypeError('createTestIssuer: audience must be a non-empty string.');
  const hmac = isHmacAlgorithm(algorithm);
  if (hmac && options.serveJwks === true) {
    throw new TypeError(`createTestIssuer: an ${algorithm} issuer has a secret, not a public key; a secret is never served as a JWKS.`);
  }
  const keys = ownKeys ?? (await generateTestKeys(algorithm, options.kid === undefined ? {} : { kid: options.kid }));
  // verifierOptions() hands back the secret in the form it was given, so it is the very value the app configures.
  const verifierSecret = options.secret ?? keys.secret;
  const server: JwksServer | undefined = !hmac && options.serveJwks !== false ? await serveJwks([keys.jwk]) : undefined;
  const jwksUri = server?.url;

  const sign = (claims: Record<string, unknown> = {}, mintOptions: MintOptions = {}): Promise<string> =>
    mintToken(keys, claims, { issuer, audience, subject: 'user-1', expiresIn: '5m', ...mintOptions });

  function verifierOptions(choice: { source?: TestKeySource } = {}): TestVerifierOptions {
    const source = choice.source ?? (hmac ? 'secret' : 'jwks');
    const common = { algorithms: [algorithm], issuer, audience };
    switch (source) {
      case 'secret':
        if (verifierSecret === undefined) throw new TypeError(`verifierOptions: an ${algorithm} issuer has no secret; use 'jwks', 'jwksUri' or 'publicKey'.`);
        return { secret: verifierSecret, ...common };
      case 'jwks':
        return { jwks: { keys: [{ ...keys.jwk }] }, ...common };
      case 'publicKey':
        if (keys.publicKeyPem === undefined) throw new TypeError(`verifierOptions: an ${algorithm} issuer has no public key; use 'secret' or 'jwks'.`);
        return { publicKey: keys.publicKeyPem, ...common };
      case 'jwksUri':
        if (jwksUri === undefined) {
          throw new TypeError(`verifierOptions: this ${algorithm} issuer serves no JWKS (HS* issuers and serveJwks: false never do).`);
        }
        return { jwksUri, ...common };
      default:
        throw new TypeError(`verifierOptions: unknown source ${JSON.stringify(source)}; use 'jwks', 'jwksUri', 'publicKey' or 'secret'.`);
    }
  }

  return {
    algorithm,
    issuer,
    audience,
    keys,
    jwksUri,
    jwks: { keys: [{ ...keys.jwk }] },
    verifierOptions,
    sign,
    expiredToken: (claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return sign({ ...claims, iat: now - 2 * HOUR, exp: now - HOUR });
    },
    notYetValidToken: (claims = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return sign({ ...claims, iat: now, nbf: now + HOUR, exp: now + 2 * HOUR });
    },
    wrongAudienceToken: (claims = {}) => sign({ ...claims, aud: different(WRONG_AUDIENCE, audience) }),
    wrongIssuerToken: (claims = {}) => sign({ ...claims, iss: different(WRONG_ISSUER, issuer) }),
    tokenWithScopes: (...scopes) => {
      for (const scope of scopes) {
        if (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
          throw new TypeError(`tokenWithScopes: ${JSON.stringify(scope)} is not a scope token (RFC 6749 §3.3: no spaces, quotes or backslashes); pass each scope separately.`);
        }
      }
      return sign({}, scopes.length === 0 ? {} : { scope: scopes });
    },
    tokenWithoutScopes: (claims = {}) => sign({ ...claims, scope: undefined, scp: undefined, permissions: undefined }),
    close: async () => {
      await server?.close();
    },
  };
}

/** `wrong`, unless that happens to be the expected value. */
function different(wrong: string, expected: string): string {
  return wrong === expected ? `${wrong}other` : wrong;
}
