/** Misuse rows for the verifier: hostile payloads, cached verdicts, clocks, backends, claims (rules 7, 8, 9, 12, 15). */
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import type { GuardOptions, JWK, VerifiedEvent } from '@jwt-guard/core';
import type { MisuseAnswer, MisuseCase, MisuseContext, MisuseFixtures, MisuseRequest } from './types.js';

const b64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const me = (token: string): MisuseRequest => ({ path: '/me', headers: bearer(token) });

/** An HS256 token over exactly this header and payload text, signed with the HS256 issuer's secret (or `signature` as given). */
function hs256(fx: MisuseFixtures, headerText: string, payloadText: string, signature?: string): string {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const mac = createHmac('sha256', fx.issuers.HS256.keys.secret!).update(input).digest('base64url');
  return `${input}.${signature ?? mac}`;
}
const hsHeader = (fx: MisuseFixtures) => JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: fx.issuers.HS256.keys.kid });
const hsClaims = (fx: MisuseFixtures, extra: Record<string, unknown> = {}) => {
  const { issuer, audience } = fx.issuers.HS256;
  return { iss: issuer, aud: audience, sub: 'user-1', iat: nowSeconds(), exp: nowSeconds() + 300, ...extra };
};
/** A signature of the right length that does not verify. */
const FORGED = 'A'.repeat(43);

/** An Ed448 key (EdDSA, RFC 8037): @jwt-guard/testing makes Ed25519 only. One for the whole table, shared by options and tokens. */
const ed448 = generateKeyPairSync('ed448');
const ed448Jwk: JWK = { ...ed448.publicKey.export({ format: 'jwk' }), kid: 'ed448-misuse', use: 'sig' };
function ed448Token(fx: MisuseFixtures, claims: Record<string, unknown> = {}): string {
  const { issuer, audience } = fx.issuers.EdDSA;
  const input = `${b64(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: 'ed448-misuse' }))}.${b64(JSON.stringify({ iss: issuer, aud: audience, sub: 'user-1', iat: nowSeconds(), exp: nowSeconds() + 300, ...claims }))}`;
  return `${input}.${b64(sign(null, Buffer.from(input), ed448.privateKey))}`;
}

/** The handler's answers to /mutate, in order: what it saw after trying to grant itself admin. */
function mutateBodiesShowNoAdmin(exchangePaths: readonly string[]) {
  return ({ bodies, adapter }: MisuseContext) => {
    exchangePaths.forEach((path, index) => {
      if (path !== '/mutate') return;
      const body = bodies[index] as { scopes?: string[] };
      if (body.scopes?.includes('admin')) throw new Error(`${adapter}: request ${index + 1} (/mutate) kept the admin scope it added`);
    });
  };
}

const CACHED_MUTATION_PATHS = ['/me', '/me', '/mutate', '/admin', '/reports', '/mutate', '/admin'];
const ADMITTING_MUTATION_PATHS = ['/me', '/mutate', '/admin', '/reports'];
/** What each route must answer for a valid token without scopes or role, whatever /mutate tried. */
const UNPRIVILEGED: Record<string, MisuseAnswer> = {
  '/me': { status: 200 },
  '/mutate': { status: 200 },
  '/admin': { status: 403, code: 'claim_mismatch' },
  '/reports': { status: 403, code: 'insufficient_scope' },
};
const sendEach = (paths: readonly string[], token: string): [MisuseRequest, MisuseAnswer][] =>
  paths.map((path) => [{ path, headers: bearer(token) }, UNPRIVILEGED[path]!]);

/** A fixed second T, for the fractional-time row: the clock reads T + 0.7 s. */
const T = Math.floor(Date.now() / 1000);

/** A clock that is right at start-up, then gives an Invalid Date (an environment variable unset at run time, say). */
function clockThatBreaks(): () => Date {
  let calls = 0;
  return () => (calls++ === 0 ? new Date() : new Date(process.env.JWT_GUARD_MISUSE_UNSET_CLOCK as string));
}

export const VERIFICATION_CASES: MisuseCase[] = [
  // --- 7: nothing of the payload is parsed before the signature holds -------------------------------
  {
    rule: 7,
    name: 'a forged token whose payload is not JSON is refused for its signature, which is checked first',
    options: (fx) => fx.issuers.HS256.verifierOptions(),
    exchange: (fx) => [
      [me(hs256(fx, hsHeader(fx), 'not json {{{', FORGED)), { status: 401, code: 'signature_invalid' }],
      // The same payload, validly signed, is refused once the signature holds.
      [me(hs256(fx, hsHeader(fx), 'not json {{{')), { status: 401, code: 'token_malformed' }],
    ],
  },
  {
    rule: 7,
    name: 'a forged payload with duplicate names or deep nesting is never parsed: signature_invalid',
    options: (fx) => fx.issuers.HS256.verifierOptions(),
    exchange: (fx) => {
      const claims = JSON.stringify(hsClaims(fx));
      return [
        [me(hs256(fx, hsHeader(fx), claims.replace(/}$/, ',"sub":"admin"}'), FORGED)), { status: 401, code: 'signature_invalid' }],
        [me(hs256(fx, hsHeader(fx), claims.replace(/}$/, `,"x":${'['.repeat(2500)}${']'.repeat(2500)}}`), FORGED)), { status: 401, code: 'signature_invalid' }],
        [me(hs256(fx, hsHeader(fx), claims.replace(/}$/, ',"sub":"admin"}'))), { status: 401, code: 'token_malformed' }],
      ];
    },
  },
  {
    rule: 7,
    name: 'a header nested or wide beyond a plain JOSE header is refused before it is parsed',
    options: (fx) => fx.issuers.HS256.verifierOptions(),
    exchange: (fx) => {
      const claims = JSON.stringify(hsClaims(fx));
      const header = (extra: string) => hsHeader(fx).replace(/}$/, `,${extra}}`);
      const wide = Array.from({ length: 400 }, (_, index) => `"h${index}":${index}`).join(',');
      return [
        [me(hs256(fx, header(`"x":${'['.repeat(2500)}${']'.repeat(2500)}`), claims, FORGED)), { status: 401, code: 'token_malformed' }],
        [me(hs256(fx, header(wide), claims, FORGED)), { status: 401, code: 'token_malformed' }],
        // A header with a jwk and an x5c chain is still a plain one.
        [me(hs256(fx, header('"jwk":{"kty":"EC","crv":"P-256","key_ops":["verify"]},"x5c":["MIIB","MIIC"]'), claims)), { status: 200 }],
      ];
    },
  },

  // --- 8: what one request does to its auth never reaches another -----------------------------------
  {
    rule: 8,
    name: 'a handler that grants itself admin on a cached token changes nothing for later requests',
    options: (fx) => fx.issuers.RS256.verifierOptions(),
    // Twice /me: the token is admitted to the cache on its second use; /mutate then gets the cached context.
    exchange: async (fx) => sendEach(CACHED_MUTATION_PATHS, await fx.issuers.RS256.tokenWithScopes('orders:read')),
    after: mutateBodiesShowNoAdmin(CACHED_MUTATION_PATHS),
  },
  {
    rule: 8,
    name: 'a handler that grants itself admin on the request that caches the token changes nothing for later requests',
    options: (fx) => fx.issuers.RS256.verifierOptions(),
    exchange: async (fx) => sendEach(ADMITTING_MUTATION_PATHS, await fx.issuers.RS256.tokenWithoutScopes()),
    after: mutateBodiesShowNoAdmin(ADMITTING_MUTATION_PATHS),
  },
  {
    rule: 8,
    name: 'a handler that writes a strong, fresh acr and auth_time on a cached token does not step it up',
    options: (fx) => fx.issuers.RS256.verifierOptions(),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.sign({ acr: 'pwd', auth_time: Math.floor(Date.now() / 1000) - 3600 });
      const stepUp = (path: string): [MisuseRequest, MisuseAnswer] => [{ path, headers: bearer(token) }, { status: 401, code: 'insufficient_user_authentication' }];
      // Twice /me: the token is admitted to the cache; /mutate then writes to the cached context.
      return [[me(token), { status: 200 }], [me(token), { status: 200 }], [{ path: '/mutate', headers: bearer(token) }, { status: 200 }], stepUp('/mfa'), stepUp('/recent-login'), stepUp('/transfer')];
    },
  },
  {
    rule: 8,
    name: 'an onVerified hook that writes to the payload and scopes it is given changes nothing',
    options: (fx): GuardOptions => ({
      ...fx.issuers.RS256.verifierOptions(),
      onVerified: (event: VerifiedEvent) => {
        (event.payload as Record<string, unknown>).role = 'admin'; // throws on a frozen payload; hook errors are ignored
      },
    }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.tokenWithoutScopes();
      return [
        [me(token), { status: 200 }],
        [me(token), { status: 200 }],
        [{ path: '/admin', headers: bearer(token) }, { status: 403, code: 'claim_mismatch' }],
        [{ path: '/admin', headers: bearer(token) }, { status: 403, code: 'claim_mismatch' }],
      ];
    },
  },
  {
    rule: 8,
    name: 'an onVerified hook that adds a scope to the set it is given changes nothing',
    options: (fx): GuardOptions => ({
      ...fx.issuers.RS256.verifierOptions(),
      onVerified: (event: VerifiedEvent) => {
        (event.scopes as Set<string>).add('admin');
      },
    }),
    exchange: async (fx) => {
      const token = await fx.issuers.RS256.tokenWithoutScopes();
      return [
        [me(token), { status: 200 }],
        [me(token), { status: 200 }],
        [{ path: '/reports', headers: bearer(token) }, { status: 403, code: 'insufficient_scope' }],
        [{ path: '/reports', headers: bearer(token) }, { status: 403, code: 'insufficient_scope' }],
      ];
    },
  },

  // --- 9: a clock that cannot tell the time refuses --------------------------------------------------
  {
    rule: 9,
    name: 'currentDate returning an Invalid Date (an unset environment variable) fails at start-up',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), currentDate: () => new Date(process.env.JWT_GUARD_MISUSE_UNSET_CLOCK as string) }),
    startup: /currentDate\(\) returned an Invalid Date at start-up/,
  },
  {
    rule: 9,
    name: 'currentDate an Invalid Date fails at start-up',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), currentDate: new Date('soon') }),
    startup: /currentDate is an Invalid Date/,
  },
  {
    rule: 9,
    name: 'currentDate returning something that is not a Date fails at start-up',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), currentDate: (() => Date.now()) as unknown as () => Date }),
    startup: /currentDate\(\) returned a number at start-up/,
  },
  {
    rule: 9,
    name: 'a clock that stops telling the time after start-up refuses every token with 503 clock_invalid, a long-expired one too',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), currentDate: clockThatBreaks() }),
    exchange: async (fx) => {
      const expiredLongAgo = await fx.issuers.RS256.sign({ iat: 0, exp: 1 });
      const valid = await fx.issuers.RS256.sign();
      return [
        [me(expiredLongAgo), { status: 503, code: 'clock_invalid' }],
        [me(valid), { status: 503, code: 'clock_invalid' }],
        [me(valid), { status: 503, code: 'clock_invalid' }],
      ];
    },
  },
  {
    rule: 9,
    name: 'a fractional exp is compared with the exact time, not a floored one',
    // 700 ms into the second T: an exp of T + 0.5 has passed.
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), currentDate: new Date(T * 1000 + 700) }),
    exchange: async (fx) => [
      [me(await fx.issuers.RS256.sign({ iat: T - 10, exp: T + 0.5 })), { status: 401, code: 'token_expired' }],
      [me(await fx.issuers.RS256.sign({ iat: T - 10, exp: T + 0.9 })), { status: 200 }],
    ],
  },
  {
    rule: 9,
    name: 'an iat more than clockTolerance in the future is refused, without maxTokenAge',
    options: (fx) => ({ ...fx.issuers.RS256.verifierOptions(), clockTolerance: '30s' }),
    exchange: async (fx) => {
      const t = nowSeconds();
      return [
        [me(await fx.issuers.RS256.sign({ iat: t + 3600, exp: t + 7200 })), { status: 401, code: 'claim_invalid' }],
        [me(await fx.issuers.RS256.sign({ iat: t + 20 })), { status: 200 }],
      ];
    },
  },

  // --- 12: one answer on Ed448 from both crypto backends ---------------------------------------------
  ...(['node', 'webcrypto'] as const).map(
    (cryptoBackend): MisuseCase => ({
      rule: 12,
      name: `an Ed448 key verifies Ed448 tokens with cryptoBackend '${cryptoBackend}'`,
      options: (fx) => ({ jwks: { keys: [ed448Jwk] }, issuer: fx.issuers.EdDSA.issuer, audience: fx.issuers.EdDSA.audience, cryptoBackend }),
      exchange: (fx) => {
        const token = ed448Token(fx);
        const forged = `${token.slice(0, token.lastIndexOf('.'))}.${b64(Buffer.alloc(114, 1))}`;
        return [
          [me(token), { status: 200 }],
          [me(forged), { status: 401, code: 'signature_invalid' }],
          [me(ed448Token(fx, { exp: nowSeconds() - 60 })), { status: 401, code: 'token_expired' }],
        ];
      },
    }),
  ),

  // --- 15: no prototype-changing member reaches req.auth ---------------------------------------------
  {
    rule: 15,
    name: 'a validly signed payload with an own "__proto__" member is refused',
    options: (fx) => fx.issuers.HS256.verifierOptions(),
    exchange: (fx) => {
      const claims = JSON.stringify(hsClaims(fx));
      return [
        [me(hs256(fx, hsHeader(fx), claims.replace(/}$/, ',"__proto__":{"role":"admin"}}'))), { status: 401, code: 'token_malformed' }],
        [me(hs256(fx, hsHeader(fx), claims.replace(/}$/, ',"\\u005f_proto__":{"role":"admin"}}'))), { status: 401, code: 'token_malformed' }],
        [me(hs256(fx, hsHeader(fx), claims.replace(/}$/, ',"realm":[{"__proto__":{"role":"admin"}}]}'))), { status: 401, code: 'token_malformed' }],
        [me(hs256(fx, hsHeader(fx), claims)), { status: 200 }],
      ];
    },
  },
  {
    rule: 15,
    name: 'a header with an own "__proto__" member is refused',
    options: (fx) => fx.issuers.HS256.verifierOptions(),
    exchange: (fx) => [[me(hs256(fx, hsHeader(fx).replace(/}$/, ',"__proto__":{"alg":"none"}}'), JSON.stringify(hsClaims(fx)))), { status: 401, code: 'token_malformed' }]],
  },
];
