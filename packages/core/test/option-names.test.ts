import { describe, expect, it } from 'vitest';
import { createGuard, createVerifier, defineRouteChecks, scopeRequirement, type GuardOptions, type VerifierOptions } from '@jwt-guard/core';
import { CLAIM_OPTIONS, configError, SECRET_32 } from './helpers.js';

const BASE = { secret: SECRET_32, ...CLAIM_OPTIONS };

/** The message for one misspelt option, passed to createGuard (verifier and guard names both reach it). */
function messageFor(name: string, extra: readonly string[] = []): string {
  const options = { ...BASE, [name]: undefined } as unknown as GuardOptions;
  return configError(() => createGuard(options, extra)).message;
}

describe('unknown option names: "did you mean"', () => {
  // [typed, meant]: one typo per option family (key sources, claims, time, remote keys, guard, adapter).
  const typos: ReadonlyArray<readonly [string, string]> = [
    ['audiance', 'audience'],
    ['audiences', 'audience'],
    ['algorithm', 'algorithms'],
    ['algoritms', 'algorithms'],
    ['isuer', 'issuer'],
    ['issue', 'issuer'],
    ['secrets', 'secret'],
    ['publicKeys', 'publicKey'],
    ['jwksUrl', 'jwksUri'],
    ['jwks_uri', 'jwksUri'],
    ['JWKSURI', 'jwksUri'],
    ['getkey', 'getKey'],
    ['discover', 'discovery'],
    ['clockTolerence', 'clockTolerance'],
    ['maxTokenAgee', 'maxTokenAge'],
    ['requiredClaim', 'requiredClaims'],
    ['requiresExp', 'requireExp'],
    ['tpy', 'typ'],
    ['currentData', 'currentDate'],
    ['scopeClaims', 'scopeClaim'],
    ['maxTokenLenght', 'maxTokenLength'],
    ['jwksCacheMaxAg', 'jwksCacheMaxAge'],
    ['jwksTimout', 'jwksTimeout'],
    ['jwksStaleIfErrors', 'jwksStaleIfError'],
    ['warmup', 'warmUp'],
    ['warmUP', 'warmUp'],
    ['onKeyEvents', 'onKeyEvent'],
    ['getKeyCacheTTL', 'getKeyCacheTtl'],
    ['revokation', 'revocation'],
    ['cryptoBackends', 'cryptoBackend'],
    ['tokenCach', 'tokenCache'],
    ['allowInsecureHttpKey', 'allowInsecureHttpKeys'],
    ['getKeyTimout', 'getKeyTimeout'],
    ['credentialRequired', 'credentialsRequired'],
    ['credentialsRequierd', 'credentialsRequired'],
    ['anonymousOnInvalidTokens', 'anonymousOnInvalidToken'],
    ['getTokens', 'getToken'],
    ['relm', 'realm'],
    ['allowPreflights', 'allowPreflight'],
    ['crsf', 'csrf'],
    ['onVerifed', 'onVerified'],
    ['onReject', 'onRejected'],
  ];

  it.each(typos)('%s → %s', (typed, meant) => {
    expect(messageFor(typed)).toBe(`jwt-guard configuration: unknown option "${typed}"; did you mean "${meant}"?`);
  });

  it('suggests the adapter-specific names an adapter declares (Fastify)', () => {
    expect(messageFor('guardAllRoute', ['onError', 'guardAllRoutes'])).toContain('did you mean "guardAllRoutes"?');
    expect(messageFor('onErrors', ['onError', 'guardAllRoutes'])).toContain('did you mean "onError"?');
  });

  it('createVerifier suggests the same way', () => {
    const create = (options: Record<string, unknown>) => createVerifier(options as unknown as VerifierOptions);
    expect(configError(() => create({ ...BASE, audiance: 'x' })).message).toBe(
      'jwt-guard configuration: unknown option "audiance"; did you mean "audience"?',
    );
  });

  it.each(['foo', 'x', 'aud', 'iss', 'key', 'timeout', 'cache', 'scopes', 'verbose', 'jwtSecret', 'logger'])(
    'no suggestion when nothing is close: %s',
    (typed) => {
      expect(messageFor(typed)).toBe(`jwt-guard configuration: unknown option "${typed}".`);
    },
  );

  it('inside issuers[]: a per-issuer typo gets a suggestion; a shared option keeps its plain refusal', () => {
    const entry = { issuer: 'https://a.example/', secret: SECRET_32 };
    const multi = (extra: Record<string, unknown>) =>
      configError(() => createVerifier({ audience: 'api', issuers: [{ ...entry, ...extra }] })).message;
    expect(multi({ audiance: 'api' })).toMatch(/issuers\[0\]: "audiance" cannot be set per issuer \(allowed: .*\); did you mean "audience"\?$/);
    expect(multi({ issuers: 'x' })).toMatch(/"issuers" cannot be set per issuer .*; did you mean "issuer"\?$/);
    expect(multi({ algorithm: ['HS256'] })).toMatch(/did you mean "algorithms"\?$/);
    expect(multi({ clockTolerance: 5 })).toMatch(/"clockTolerance" cannot be set per issuer \(allowed: [^)]*\)\.$/);
  });
});

describe('requireScope with a space-delimited list', () => {
  it('is refused at start-up, saying to pass each scope as its own argument', () => {
    const error = configError(() => scopeRequirement(['orders:read orders:write'], 'all'));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('"orders:read orders:write" is not a valid scope token');
    expect(error.message).toContain("Pass each scope as its own argument: requireScope('orders:read', 'orders:write').");
  });

  it('names requireAnyScope and every part, whatever the whitespace', () => {
    expect(configError(() => scopeRequirement(['a:read\tb:read  c:read'], 'any')).message).toContain(
      "Pass each scope as its own argument: requireAnyScope('a:read', 'b:read', 'c:read').",
    );
  });

  it("through every adapter's requireScope (defineRouteChecks), when the route is defined", () => {
    const { requireScope, requireAnyScope } = defineRouteChecks((requirement) => requirement);
    expect(configError(() => requireScope('orders:read orders:write')).message).toContain(
      "Pass each scope as its own argument: requireScope('orders:read', 'orders:write').",
    );
    expect(configError(() => requireAnyScope('orders:read', 'admin reports:read')).message).toContain(
      "Pass each scope as its own argument: requireAnyScope('orders:read', 'admin', 'reports:read').",
    );
    expect(() => requireScope('orders:read', 'orders:write')).not.toThrow();
  });

  it('adds no such advice for other invalid scopes', () => {
    for (const scope of ['orders"read', ' orders:read ', '']) {
      expect(configError(() => scopeRequirement([scope], 'all')).message).not.toContain('own argument');
    }
  });
});
