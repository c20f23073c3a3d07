/**
 * THE table of attacks: every case is a token (or, rarely, a raw Authorization header), the guard
 * configuration it meets, and the verdict a strict verifier must give (RFC 8725 as the reference).
 * attacks.test.ts sends each case to Express, Koa and Fastify and to the bare core verifier.
 */
import type { ErrorCode } from '@jwt-guard/core';
import { CURVE_ORDERS, b64url, forge, json, publicKeyForms, rawEcdsaSignature, segments, signers, type Signer } from './forge.js';
import { NOW, type ConfigName, type SecurityFixtures } from './fixtures.js';

export interface SecurityCase {
  group: string;
  name: string;
  config: ConfigName;
  /** The bearer token; sent as `Authorization: Bearer <token>`. */
  token?: (fx: SecurityFixtures) => string;
  /** A raw Authorization header instead (for tokens the header syntax itself refuses). */
  authorization?: (fx: SecurityFixtures) => string;
  status: number;
  code?: ErrorCode;
}

const VALID = 200;
const nowReal = () => Math.floor(Date.now() / 1000);

// --- token builders ------------------------------------------------------------------------------

const rsHeader = (extra: Record<string, unknown> = {}) => ({ alg: 'RS256', typ: 'JWT', kid: 'rs-trusted', ...extra });
const rsClaims = (fx: SecurityFixtures, extra: Record<string, unknown> = {}) => ({
  iss: fx.rs.issuer, aud: fx.rs.audience, sub: 'user-1', iat: nowReal(), exp: nowReal() + 300, ...extra,
});
/** Claims for the fixed-clock configurations. */
const clockClaims = (fx: SecurityFixtures, extra: Record<string, unknown> = {}) => ({
  iss: fx.rs.issuer, aud: fx.rs.audience, sub: 'user-1', iat: NOW - 10, exp: NOW + 300, ...extra,
});
const without = (object: Record<string, unknown>, ...names: string[]) => {
  const copy = { ...object };
  for (const name of names) delete copy[name];
  return copy;
};

const trusted = {
  rs: (fx: SecurityFixtures): Signer => signers.rsa(fx.rs.keys.privateKey!),
  es: (fx: SecurityFixtures): Signer => signers.ecdsa(fx.es.keys.privateKey!),
  hs: (fx: SecurityFixtures): Signer => signers.hmac(fx.hs.keys.secret!),
  ed: (fx: SecurityFixtures): Signer => signers.eddsa(fx.ed.keys.privateKey!),
};
/** A token the trusted RS256 key really signed. */
const rsToken = (fx: SecurityFixtures, claims: Record<string, unknown> | string = rsClaims(fx), header: Record<string, unknown> | string = rsHeader()) =>
  forge(header, claims, trusted.rs(fx));
const attackerRs = (fx: SecurityFixtures, header: Record<string, unknown>, claims: Record<string, unknown> = rsClaims(fx)) =>
  forge({ alg: 'RS256', typ: 'JWT', ...header }, claims, signers.rsa(fx.attacker.rsaPrivate));
const esClaims = (fx: SecurityFixtures) => ({ iss: fx.es.issuer, aud: fx.es.audience, sub: 'user-1', exp: nowReal() + 300 });
const hsClaims = (fx: SecurityFixtures) => ({ iss: fx.hs.issuer, aud: fx.hs.audience, sub: 'user-1', exp: nowReal() + 300 });
const edClaims = (fx: SecurityFixtures) => ({ iss: fx.ed.issuer, aud: fx.ed.audience, sub: 'user-1', exp: nowReal() + 300 });
const esToken = (fx: SecurityFixtures) => forge({ alg: 'ES256', typ: 'JWT', kid: 'es-trusted' }, esClaims(fx), trusted.es(fx));
const hsToken = (fx: SecurityFixtures) => forge({ alg: 'HS256', typ: 'JWT', kid: 'hs-trusted' }, hsClaims(fx), trusted.hs(fx));
const edToken = (fx: SecurityFixtures) => forge({ alg: 'EdDSA', typ: 'JWT', kid: 'ed-trusted' }, edClaims(fx), trusted.ed(fx));

/** Replaces one segment of a token. */
const withSegment = (token: string, index: 0 | 1 | 2, value: string) => {
  const parts = segments(token);
  parts[index] = value;
  return parts.join('.');
};
const withSignature = (token: string, signature: Uint8Array) => withSegment(token, 2, b64url(signature));
const sigBytes = (token: string) => Buffer.from(segments(token)[2], 'base64url');

const cases: SecurityCase[] = [];
const add = (group: string, list: Omit<SecurityCase, 'group'>[]) => {
  for (const entry of list) cases.push({ group, ...entry });
};

// --- sanity: the configurations accept what they must -----------------------------------------------
add('baseline', [
  { name: 'valid RS256 token (jwks)', config: 'RS256', token: (fx) => rsToken(fx), status: VALID },
  { name: 'valid RS256 token (PEM)', config: 'RS256-pem', token: (fx) => rsToken(fx), status: VALID },
  { name: 'valid RS256 token (jwksUri)', config: 'RS256-jwksUri', token: (fx) => rsToken(fx), status: VALID },
  { name: 'valid PS256 token where RS256 and PS256 are allowed', config: 'RSA-multi', token: (fx) => forge(rsHeader({ alg: 'PS256' }), rsClaims(fx), signers.pss(fx.rs.keys.privateKey!)), status: VALID },
  { name: 'valid ES256 token', config: 'ES256', token: esToken, status: VALID },
  { name: 'valid HS256 token', config: 'HS256', token: hsToken, status: VALID },
  { name: 'valid EdDSA token', config: 'EdDSA', token: edToken, status: VALID },
  { name: 'valid token from a JWKS that also holds a 1024-bit key', config: 'mixed-jwksUri', token: (fx) => rsToken(fx), status: VALID },
]);

// --- alg none, and algorithms off the allowlist (RFC 8725 §2.1, §3.1) -----------------------------------
const NONE_SPELLINGS = ['none', 'None', 'NONE', 'nOnE', 'NoNe', 'none ', ' none', 'none\u0000', 'nonE'];
for (const spelling of NONE_SPELLINGS) {
  const label = JSON.stringify(spelling);
  add('alg none', [
    { name: `alg ${label}, empty signature (RS256 guard)`, config: 'RS256', token: (fx) => forge(rsHeader({ alg: spelling }), rsClaims(fx), signers.none()), status: 401, code: 'algorithm_not_allowed' },
    { name: `alg ${label}, with the original RS256 signature`, config: 'RS256', token: (fx) => withSegment(rsToken(fx), 0, b64url(json(rsHeader({ alg: spelling })))), status: 401, code: 'algorithm_not_allowed' },
    { name: `alg ${label}, empty signature (HS256 guard)`, config: 'HS256', token: (fx) => forge({ alg: spelling, typ: 'JWT' }, hsClaims(fx), signers.none()), status: 401, code: 'algorithm_not_allowed' },
    { name: `alg ${label}, with an HMAC signature (HS256 guard)`, config: 'HS256', token: (fx) => forge({ alg: spelling, typ: 'JWT' }, hsClaims(fx), trusted.hs(fx)), status: 401, code: 'algorithm_not_allowed' },
  ]);
}
add('alg none', [
  { name: 'alg none with the signature segment removed (two segments)', config: 'RS256', token: (fx) => forge({ alg: 'none' }, rsClaims(fx), signers.none()).slice(0, -1).replace(/\.$/, ''), status: 401, code: 'token_malformed' },
  { name: 'alg none on the EdDSA guard', config: 'EdDSA', token: (fx) => forge({ alg: 'none' }, edClaims(fx), signers.none()), status: 401, code: 'algorithm_not_allowed' },
  { name: 'alg none on the ES256 guard', config: 'ES256', token: (fx) => forge({ alg: 'none' }, esClaims(fx), signers.none()), status: 401, code: 'algorithm_not_allowed' },
]);
const OFF_LIST = ['HS256', 'RS384', 'RS512', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'rs256', 'RS256 ', ' RS256', 'RS256\u0000', 'ES256K', 'RS1', 'HS1', 'dir', 'RSA-OAEP', 'A128KW', 'RS2560', ''];
add('algorithm allowlist', OFF_LIST.map((alg) => ({
  name: `alg ${JSON.stringify(alg)} on an RS256-only guard (trusted key's signature)`, config: 'RS256' as const,
  token: (fx: SecurityFixtures) => rsToken(fx, rsClaims(fx), rsHeader({ alg })), status: 401, code: 'algorithm_not_allowed' as const,
})));
add('algorithm allowlist', [
  { name: 'RS384 properly signed with the trusted key, RS256-only guard', config: 'RS256', token: (fx) => forge(rsHeader({ alg: 'RS384' }), rsClaims(fx), signers.rsa(fx.rs.keys.privateKey!, 384)), status: 401, code: 'algorithm_not_allowed' },
  { name: 'ES256 token on the RS256 guard', config: 'RS256', token: (fx) => forge({ alg: 'ES256', kid: 'rs-trusted' }, rsClaims(fx), trusted.es(fx)), status: 401, code: 'algorithm_not_allowed' },
  { name: 'EdDSA token on the ES256 guard', config: 'ES256', token: (fx) => forge({ alg: 'EdDSA', kid: 'es-trusted' }, esClaims(fx), trusted.ed(fx)), status: 401, code: 'algorithm_not_allowed' },
  { name: 'alg missing', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), without(rsHeader(), 'alg')), status: 401, code: 'token_malformed' },
  ...[null, 256, true, ['RS256'], { name: 'RS256' }].map((alg) => ({
    name: `alg as ${JSON.stringify(alg)}`, config: 'RS256' as const,
    token: (fx: SecurityFixtures) => rsToken(fx, rsClaims(fx), rsHeader({ alg })), status: 401, code: 'token_malformed' as const,
  })),
]);

// --- key confusion: HMAC with a public key as the secret (RFC 8725 §2.1) ----------------------------------
for (const config of ['RS256', 'RS256-pem', 'RS256-jwksUri', 'RSA-multi'] as const) {
  const forms = (fx: SecurityFixtures) => publicKeyForms(fx.rs.keys.publicKey!);
  const variants: [string, (fx: SecurityFixtures) => string | Uint8Array][] = [
    ['PEM (SPKI)', (fx) => forms(fx).pem],
    ['PEM without the final newline', (fx) => forms(fx).pem.trimEnd()],
    ['PEM (PKCS#1)', (fx) => forms(fx).pkcs1Pem!],
    ['DER (SPKI)', (fx) => forms(fx).der],
    ['JWK JSON', (fx) => forms(fx).jwkJson],
    ['JWK JSON as published (with kid)', (fx) => JSON.stringify(fx.rs.keys.jwk)],
  ];
  add('key confusion', variants.map(([label, secret]) => ({
    name: `HS256 signed with the RSA public key ${label} (${config} guard)`, config,
    token: (fx: SecurityFixtures) => forge({ alg: 'HS256', typ: 'JWT', kid: 'rs-trusted' }, rsClaims(fx), signers.hmac(secret(fx))),
    status: 401, code: 'algorithm_not_allowed' as const,
  })));
}
add('key confusion', [
  { name: 'HS512 signed with the RSA public key PEM, no kid', config: 'RS256-pem', token: (fx) => forge({ alg: 'HS512' }, rsClaims(fx), signers.hmac(publicKeyForms(fx.rs.keys.publicKey!).pem, 512)), status: 401, code: 'algorithm_not_allowed' },
  ...(['pem', 'der', 'jwkJson'] as const).flatMap((form) =>
    (['ES256', 'ES256-pem'] as const).map((config) => ({
      name: `HS256 signed with the EC public key ${form} (${config} guard)`, config,
      token: (fx: SecurityFixtures) => forge({ alg: 'HS256', kid: 'es-trusted' }, esClaims(fx), signers.hmac(publicKeyForms(fx.es.keys.publicKey!)[form])),
      status: 401, code: 'algorithm_not_allowed' as const,
    })),
  ),
  { name: 'HS256 signed with the Ed25519 public key (raw x)', config: 'EdDSA', token: (fx) => forge({ alg: 'HS256', kid: 'ed-trusted' }, edClaims(fx), signers.hmac(Buffer.from(String(fx.ed.keys.jwk.x), 'base64url'))), status: 401, code: 'algorithm_not_allowed' },
]);

// --- keys the token brings itself: jwk, jku, x5u, x5c (RFC 8725 §3.10; never trusted, never fetched) -------
for (const config of ['RS256', 'RS256-pem', 'RS256-jwksUri'] as const) {
  const embedded: [string, (fx: SecurityFixtures) => Record<string, unknown>][] = [
    ['jwk (attacker key)', (fx) => ({ jwk: fx.attacker.rsaJwk })],
    ['jku to the attacker JWKS', (fx) => ({ jku: `${fx.canary.origin}/jwks.json` })],
    ['x5u to the attacker certificate', (fx) => ({ x5u: `${fx.canary.origin}/x5u` })],
    ['x5c with the attacker certificate', (fx) => ({ x5c: [fx.attacker.certDer] })],
    ['jwk, jku, x5u and x5c together', (fx) => ({ jwk: fx.attacker.rsaJwk, jku: `${fx.canary.origin}/jwks.json?all`, x5u: `${fx.canary.origin}/x5u?all`, x5c: [fx.attacker.certDer] })],
  ];
  for (const [label, extra] of embedded) {
    add('header-borne keys', [
      { name: `${label}, no kid (${config})`, config, token: (fx) => attackerRs(fx, extra(fx)), status: 401, code: 'signature_invalid' },
      { name: `${label}, the trusted kid (${config})`, config, token: (fx) => attackerRs(fx, { kid: 'rs-trusted', ...extra(fx) }), status: 401, code: 'signature_invalid' },
      {
        name: `${label}, the attacker's kid (${config})`, config, token: (fx) => attackerRs(fx, { kid: 'attacker-rsa', ...extra(fx) }),
        // A PEM key has no kid, so it is still tried (and fails); JWK Sets match kids exactly.
        status: 401, code: config === 'RS256-pem' ? 'signature_invalid' : 'key_not_found',
      },
    ]);
  }
}
add('header-borne keys', [
  { name: 'jwk with the attacker EC key on the ES256 guard', config: 'ES256', token: (fx) => forge({ alg: 'ES256', jwk: fx.attacker.ecJwk }, esClaims(fx), signers.ecdsa(fx.attacker.ecPrivate)), status: 401, code: 'signature_invalid' },
  { name: 'jku on the ES256 guard, trusted kid', config: 'ES256', token: (fx) => forge({ alg: 'ES256', kid: 'es-trusted', jku: `${fx.canary.origin}/es` }, esClaims(fx), signers.ecdsa(fx.attacker.ecPrivate)), status: 401, code: 'signature_invalid' },
  { name: 'jwk header on a token the trusted key signed changes nothing', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ jwk: fx.attacker.rsaJwk, jku: `${fx.canary.origin}/valid` })), status: VALID },
]);

// --- kid: traversal, injection, size, type ----------------------------------------------------------------
const HOSTILE_KIDS = [
  '../../../../../../dev/null', '../../etc/passwd', '..\\..\\windows\\win.ini', '/dev/null', 'file:///dev/null',
  "' OR '1'='1", "x'; DROP TABLE keys; --", '" OR ""="', '1 UNION SELECT secret FROM keys', '%00', 'rs-trusted\u0000', 'RS-TRUSTED', ' rs-trusted',
  '', 'k'.repeat(4000), '\u202ers-trusted', 'a"\r\nX-Injected: 1', '${jndi:ldap://127.0.0.1/a}', '__proto__', 'constructor',
];
add('kid', HOSTILE_KIDS.map((kid) => ({
  name: `kid ${JSON.stringify(kid.length > 40 ? `${kid.slice(0, 8)}…(${kid.length})` : kid)}, attacker-signed`, config: 'RS256' as const,
  token: (fx: SecurityFixtures) => attackerRs(fx, { kid }), status: 401, code: 'key_not_found' as const,
})));
add('kid', [
  ...(['../../../../../../dev/null', "' OR '1'='1", ''] as const).map((kid) => ({
    name: `kid ${JSON.stringify(kid)} signed with an empty HMAC key (HS256 guard)`, config: 'HS256' as const,
    token: (fx: SecurityFixtures) => forge({ alg: 'HS256', kid }, hsClaims(fx), signers.hmac('')), status: 401, code: 'signature_invalid' as const,
  })),
  { name: 'kid "/dev/null" signed with an all-zero HMAC key (HS256 guard)', config: 'HS256', token: (fx) => forge({ alg: 'HS256', kid: '/dev/null' }, hsClaims(fx), signers.hmac(Buffer.alloc(32))), status: 401, code: 'signature_invalid' },
  { name: 'huge kid on the jwksUri guard', config: 'RS256-jwksUri', token: (fx) => attackerRs(fx, { kid: 'k'.repeat(4000) }), status: 401, code: 'key_not_found' },
  { name: 'SQL kid on the jwksUri guard', config: 'RS256-jwksUri', token: (fx) => attackerRs(fx, { kid: "' OR 1=1 --" }), status: 401, code: 'key_not_found' },
  ...[123, 0, null, true, {}, ['rs-trusted'], { $ne: '' }].map((kid) => ({
    name: `kid as ${JSON.stringify(kid)}`, config: 'RS256' as const,
    token: (fx: SecurityFixtures) => rsToken(fx, rsClaims(fx), rsHeader({ kid })), status: 401, code: 'token_malformed' as const,
  })),
]);

// --- signatures ---------------------------------------------------------------------------------------------
add('signature', [
  { name: 'RS256 signature stripped', config: 'RS256', token: (fx) => withSegment(rsToken(fx), 2, ''), status: 401, code: 'signature_invalid' },
  { name: 'ES256 signature stripped', config: 'ES256', token: (fx) => withSegment(esToken(fx), 2, ''), status: 401, code: 'signature_invalid' },
  { name: 'HS256 signature stripped', config: 'HS256', token: (fx) => withSegment(hsToken(fx), 2, ''), status: 401, code: 'signature_invalid' },
  { name: 'EdDSA signature stripped', config: 'EdDSA', token: (fx) => withSegment(edToken(fx), 2, ''), status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature truncated by half', config: 'RS256', token: (fx) => { const t = rsToken(fx); return withSignature(t, sigBytes(t).subarray(0, 128)); }, status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature minus its last byte', config: 'RS256', token: (fx) => { const t = rsToken(fx); return withSignature(t, sigBytes(t).subarray(0, 255)); }, status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature with a byte appended', config: 'RS256', token: (fx) => { const t = rsToken(fx); return withSignature(t, Buffer.concat([sigBytes(t), Buffer.from([0])])); }, status: 401, code: 'signature_invalid' },
  { name: 'HS256 signature truncated to 16 bytes', config: 'HS256', token: (fx) => { const t = hsToken(fx); return withSignature(t, sigBytes(t).subarray(0, 16)); }, status: 401, code: 'signature_invalid' },
  { name: 'ES256 signature truncated', config: 'ES256', token: (fx) => { const t = esToken(fx); return withSignature(t, sigBytes(t).subarray(0, 48)); }, status: 401, code: 'signature_invalid' },
  { name: 'EdDSA signature truncated', config: 'EdDSA', token: (fx) => { const t = edToken(fx); return withSignature(t, sigBytes(t).subarray(0, 32)); }, status: 401, code: 'signature_invalid' },
  { name: 'signature from another token of the same key', config: 'RS256', token: (fx) => withSegment(rsToken(fx, rsClaims(fx, { sub: 'admin' })), 2, segments(rsToken(fx))[2]), status: 401, code: 'signature_invalid' },
  { name: 'HS256 signature from another token of the same secret', config: 'HS256', token: (fx) => withSegment(forge({ alg: 'HS256' }, { ...hsClaims(fx), sub: 'admin' }, signers.none()), 2, segments(hsToken(fx))[2]), status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature relabelled PS256', config: 'RSA-multi', token: (fx) => { const t = rsToken(fx); return forge(rsHeader({ alg: 'PS256' }), rsClaims(fx), signers.raw(sigBytes(t))); }, status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature over the PS256 header', config: 'RSA-multi', token: (fx) => forge(rsHeader({ alg: 'PS256' }), rsClaims(fx), trusted.rs(fx)), status: 401, code: 'signature_invalid' },
  { name: 'PS256 signature over an RS256 header', config: 'RSA-multi', token: (fx) => forge(rsHeader(), rsClaims(fx), signers.pss(fx.rs.keys.privateKey!)), status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature over an RS384 header', config: 'RSA-multi', token: (fx) => forge(rsHeader({ alg: 'RS384' }), rsClaims(fx), trusted.rs(fx)), status: 401, code: 'signature_invalid' },
  { name: 'ES256 signature on an RS256 token', config: 'RS256', token: (fx) => forge(rsHeader(), rsClaims(fx), trusted.es(fx)), status: 401, code: 'signature_invalid' },
  { name: 'HMAC signature on an ES256 token', config: 'ES256', token: (fx) => forge({ alg: 'ES256', kid: 'es-trusted' }, esClaims(fx), signers.hmac('x'.repeat(32))), status: 401, code: 'signature_invalid' },
  { name: 'ES256 signature DER-encoded', config: 'ES256', token: (fx) => forge({ alg: 'ES256', kid: 'es-trusted' }, esClaims(fx), signers.ecdsa(fx.es.keys.privateKey!, 256, 'der')), status: 401, code: 'signature_invalid' },
  { name: 'EdDSA signature all zeros', config: 'EdDSA', token: (fx) => forge({ alg: 'EdDSA', kid: 'ed-trusted' }, edClaims(fx), signers.raw(Buffer.alloc(64))), status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature all zeros', config: 'RS256', token: (fx) => forge(rsHeader(), rsClaims(fx), signers.raw(Buffer.alloc(256))), status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature equal to the modulus', config: 'RS256', token: (fx) => forge(rsHeader(), rsClaims(fx), signers.raw(Buffer.from(String(fx.rs.keys.jwk.n), 'base64url'))), status: 401, code: 'signature_invalid' },
  { name: 'RS256 signature of 1 (s^e = 1)', config: 'RS256', token: (fx) => forge(rsHeader(), rsClaims(fx), signers.raw(Buffer.concat([Buffer.alloc(255), Buffer.from([1])]))), status: 401, code: 'signature_invalid' },
]);
const N256 = CURVE_ORDERS[256];
const PSYCHIC: [string, (r: string, s: string) => [string, string]][] = [
  ['r = 0, s = 0', () => ['0', '0']],
  ['r = 0, s valid', (_r, s) => ['0', s]],
  ['r valid, s = 0', (r) => [r, '0']],
  ['r = n, s = n', () => [N256, N256]],
  ['r = n, s valid', (_r, s) => [N256, s]],
  ['r valid, s = n', (r) => [r, N256]],
  ['r = 0, s = n', () => ['0', N256]],
  ['r = n, s = 0', () => [N256, '0']],
  ['r = 1, s = 1', () => ['1', '1']],
  ['r = s = 2^256 - 1', () => ['f'.repeat(64), 'f'.repeat(64)]],
];
add('ECDSA psychic signatures (CVE-2022-21449)', PSYCHIC.map(([label, pick]) => ({
  name: `ES256 ${label}`, config: 'ES256' as const,
  token: (fx: SecurityFixtures) => {
    const valid = esToken(fx);
    const sig = sigBytes(valid);
    const [r, s] = pick(sig.subarray(0, 32).toString('hex'), sig.subarray(32).toString('hex'));
    return withSignature(valid, rawEcdsaSignature(256, r, s));
  },
  status: 401, code: 'signature_invalid' as const,
})));
add('RSA keys under 2048 bits', [
  { name: '1024-bit key published in the trusted JWKS, its kid', config: 'mixed-jwksUri', token: (fx) => forge(rsHeader({ kid: 'weak-1024' }), rsClaims(fx), signers.rsa(fx.attacker.weakPrivate)), status: 401, code: 'key_not_found' },
  { name: '1024-bit key published in the trusted JWKS, no kid', config: 'mixed-jwksUri', token: (fx) => forge(without(rsHeader(), 'kid'), rsClaims(fx), signers.rsa(fx.attacker.weakPrivate)), status: 401, code: 'signature_invalid' },
]);

// --- Ed448: both crypto backends give the same verdict (jose has no Ed448; the WebCrypto path uses WebCrypto's own) ---
const ed448Token = (fx: SecurityFixtures, header: Record<string, unknown> = {}) =>
  forge({ alg: 'EdDSA', typ: 'JWT', kid: 'ed448-trusted', ...header }, edClaims(fx), signers.eddsa(fx.ed448.privateKey));
add('Ed448', [
  { name: 'valid Ed448 token', config: 'Ed448', token: (fx) => ed448Token(fx), status: VALID },
  { name: 'Ed448 signature with one bit flipped', config: 'Ed448', token: (fx) => { const t = ed448Token(fx); const sig = sigBytes(t); sig[10]! ^= 0x01; return withSignature(t, sig); }, status: 401, code: 'signature_invalid' },
  { name: 'Ed448 signature truncated to 57 bytes', config: 'Ed448', token: (fx) => { const t = ed448Token(fx); return withSignature(t, sigBytes(t).subarray(0, 57)); }, status: 401, code: 'signature_invalid' },
  { name: 'Ed448 signature stripped', config: 'Ed448', token: (fx) => withSegment(ed448Token(fx), 2, ''), status: 401, code: 'signature_invalid' },
  { name: 'Ed448 signature all zeros', config: 'Ed448', token: (fx) => forge({ alg: 'EdDSA', kid: 'ed448-trusted' }, edClaims(fx), signers.raw(Buffer.alloc(114))), status: 401, code: 'signature_invalid' },
  { name: 'Ed25519 signature on the Ed448 guard', config: 'Ed448', token: (fx) => forge({ alg: 'EdDSA', kid: 'ed448-trusted' }, edClaims(fx), trusted.ed(fx)), status: 401, code: 'signature_invalid' },
  { name: 'Ed448 payload altered', config: 'Ed448', token: (fx) => { const [h, , s] = segments(ed448Token(fx)); return `${h}.${b64url(json({ ...edClaims(fx), sub: 'admin' }))}.${s}`; }, status: 401, code: 'signature_invalid' },
  { name: 'alg Ed25519 (RFC 9864) with the Ed448 key', config: 'Ed448', token: (fx) => ed448Token(fx, { alg: 'Ed25519' }), status: 401, code: 'algorithm_not_allowed' },
  { name: 'an Ed448 token on the Ed25519 guard', config: 'EdDSA', token: (fx) => ed448Token(fx, { kid: 'ed-trusted' }), status: 401, code: 'signature_invalid' },
]);

// --- structure ------------------------------------------------------------------------------------------------
const structural = (name: string, make: (valid: string) => string, code: ErrorCode = 'token_malformed', status = 401): Omit<SecurityCase, 'group'> => ({
  name, config: 'RS256', token: (fx) => make(rsToken(fx)), status, code,
});
const rawHeader = (fx: SecurityFixtures, text: string) => rsToken(fx, rsClaims(fx), text);
add('structure', [
  structural('two segments (signature dropped with its dot)', (t) => t.slice(0, t.lastIndexOf('.'))),
  structural('four segments', (t) => `${t}.${segments(t)[2]}`),
  structural('five segments (JWE shape)', (t) => `${t}.a.b`),
  structural('six segments', (t) => `${t}.a.b.c`),
  structural('one segment', (t) => segments(t)[0]),
  structural('empty header segment', (t) => withSegment(t, 0, '')),
  structural('only dots', () => '..'),
  structural('many dots', () => '.'.repeat(4000)),
  structural('padding in the header', (t) => withSegment(t, 0, `${segments(t)[0]}=`)),
  structural('padding in the payload', (t) => withSegment(t, 1, `${segments(t)[1]}==`)),
  structural('padding in the signature', (t) => withSegment(t, 2, `${segments(t)[2]}==`)),
  structural('standard base64 "+" and "/" in the signature', (t) => withSegment(t, 2, segments(t)[2].replace(/-/g, '+').replace(/_/g, '/').replace(/^(.)/, '+'))),
  structural('"~" in the payload', (t) => withSegment(t, 1, `~${segments(t)[1].slice(1)}`)),
  structural('non-canonical base64url (stray low bits in the last character)', (t) => {
    const [h] = segments(t);
    const last = h[h.length - 1]!;
    // With length ≡ 2 or 3 (mod 4) some low bits of the last character are unused; set one.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bumped = alphabet[alphabet.indexOf(last) + 1]!;
    return h.length % 4 === 0 ? withSegment(t, 0, `${h}AA`) : withSegment(t, 0, `${h.slice(0, -1)}${bumped}`);
  }),
  structural('header of "e30" followed by junk base64', (t) => withSegment(t, 0, 'e30x')),
]);
add('structure', [
  { name: 'a space inside the token', config: 'RS256', authorization: (fx) => { const t = rsToken(fx); return `Bearer ${t.slice(0, 20)} ${t.slice(20)}`; }, status: 400, code: 'invalid_request' },
  { name: 'a tab inside the token', config: 'RS256', authorization: (fx) => { const t = rsToken(fx); return `Bearer ${t.slice(0, 20)}\t${t.slice(20)}`; }, status: 400, code: 'invalid_request' },
  { name: '"%" (URL-encoded) characters in the token', config: 'RS256', authorization: (fx) => `Bearer ${rsToken(fx).replace('.', '%2E')}`, status: 400, code: 'invalid_request' },
  { name: 'a quote in the token', config: 'RS256', authorization: (fx) => `Bearer "${rsToken(fx)}"`, status: 400, code: 'invalid_request' },
  { name: 'two Bearer tokens in one header', config: 'RS256', authorization: (fx) => `Bearer ${rsToken(fx)}, Bearer ${rsToken(fx)}`, status: 400, code: 'invalid_request' },
]);
const NOT_OBJECTS: [string, string][] = [['an array', '[]'], ['a string', '"RS256"'], ['a number', '1'], ['null', 'null'], ['true', 'true'], ['truncated JSON', '{"alg":"RS256"'], ['empty', ''], ['a BOM then an object', '\ufeff{"alg":"RS256"}'], ['JSON with a trailing comma', '{"alg":"RS256",}'], ['single-quoted', "{'alg':'RS256'}"], ['two objects', '{"alg":"RS256"}{"alg":"none"}']];
add('structure: header', NOT_OBJECTS.map(([label, text]) => ({
  name: `header is ${label}`, config: 'RS256' as const, token: (fx: SecurityFixtures) => rawHeader(fx, text), status: 401, code: 'token_malformed' as const,
})));
add('structure: header', [
  { name: 'header is invalid UTF-8', config: 'RS256', token: (fx) => withSegment(rsToken(fx), 0, b64url(Buffer.concat([Buffer.from('{"alg":"RS256","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]))), status: 401, code: 'token_malformed' },
  { name: 'header is UTF-16', config: 'RS256', token: (fx) => withSegment(rsToken(fx), 0, b64url(Buffer.from(json(rsHeader()), 'utf16le'))), status: 401, code: 'token_malformed' },
]);
add('structure: payload', NOT_OBJECTS.filter(([label]) => label !== 'empty').map(([label, text]) => ({
  name: `payload is ${label} (trusted signature)`, config: 'RS256' as const, token: (fx: SecurityFixtures) => rsToken(fx, text), status: 401, code: 'token_malformed' as const,
})));
add('structure: payload', [
  { name: 'empty payload (trusted signature)', config: 'RS256', token: (fx) => rsToken(fx, ''), status: 401, code: 'token_malformed' },
  { name: 'payload is not JSON at all (trusted signature)', config: 'RS256', token: (fx) => rsToken(fx, 'hello'), status: 401, code: 'token_malformed' },
]);
add('duplicate member names', [
  { name: 'header {"alg":"none","alg":"RS256"} (trusted signature)', config: 'RS256', token: (fx) => rawHeader(fx, '{"alg":"none","typ":"JWT","kid":"rs-trusted","alg":"RS256"}'), status: 401, code: 'token_malformed' },
  { name: 'header with kid twice', config: 'RS256', token: (fx) => rawHeader(fx, '{"alg":"RS256","kid":"attacker","kid":"rs-trusted"}'), status: 401, code: 'token_malformed' },
  { name: 'header with "crit" hidden behind a duplicate', config: 'RS256', token: (fx) => rawHeader(fx, '{"alg":"RS256","kid":"rs-trusted","crit":["x"],"x":1,"crit":null}'), status: 401, code: 'token_malformed' },
  { name: 'payload with sub twice (trusted signature)', config: 'RS256', token: (fx) => rsToken(fx, json(rsClaims(fx)).replace(/}$/, ',"sub":"admin"}')), status: 401, code: 'token_malformed' },
  { name: 'payload with iss twice (trusted signature)', config: 'RS256', token: (fx) => rsToken(fx, `{"iss":"https://evil.example/",${json(rsClaims(fx)).slice(1)}`), status: 401, code: 'token_malformed' },
  { name: 'payload with exp twice, one escaped as \\u0065xp', config: 'RS256', token: (fx) => rsToken(fx, json(rsClaims(fx)).replace(/}$/, ',"\\u0065xp":99999999999}')), status: 401, code: 'token_malformed' },
  { name: 'payload with a duplicate inside a nested claim', config: 'RS256', token: (fx) => rsToken(fx, json(rsClaims(fx)).replace(/}$/, ',"realm_access":{"roles":["user"],"roles":["admin"]}}')), status: 401, code: 'token_malformed' },
  { name: 'payload with the same name in sibling objects is fine', config: 'RS256', token: (fx) => rsToken(fx, json(rsClaims(fx, { a: { id: 1 }, b: { id: 2 }, c: [{ id: 3 }, { id: 4 }] }))), status: VALID },
  // The payload is read only once the signature holds: a forged one is refused for its signature.
  { name: 'payload with sub twice, attacker-signed', config: 'RS256', token: (fx) => forge(rsHeader(), json(rsClaims(fx)).replace(/}$/, ',"sub":"admin"}'), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'signature_invalid' },
]);
add('crit and b64', [
  { name: 'crit with an unknown extension', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ crit: ['urn:example:unknown'], 'urn:example:unknown': true })), status: 401, code: 'token_malformed' },
  { name: 'crit naming exp', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ crit: ['exp'], exp: 1 })), status: 401, code: 'token_malformed' },
  { name: 'crit empty', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ crit: [] })), status: 401, code: 'token_malformed' },
  { name: 'crit not an array', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ crit: 'b64' })), status: 401, code: 'token_malformed' },
  { name: 'b64 false with crit (RFC 7797)', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ b64: false, crit: ['b64'] })), status: 401, code: 'token_malformed' },
  { name: 'b64 false without crit', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ b64: false })), status: 401, code: 'token_malformed' },
  { name: 'b64 true', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ b64: true })), status: 401, code: 'token_malformed' },
  { name: 'b64 false with an unencoded payload', config: 'RS256', token: (fx) => { const h = b64url(json(rsHeader({ b64: false, crit: ['b64'] }))); const p = json(rsClaims(fx)); return `${h}.${p}.${b64url(trusted.rs(fx)(Buffer.from(`${h}.${p}`)))}`; }, status: 400, code: 'invalid_request' },
]);

// --- claims -------------------------------------------------------------------------------------------------------
const clock = (name: string, config: ConfigName, claims: (fx: SecurityFixtures) => Record<string, unknown> | string, status: number, code?: ErrorCode): Omit<SecurityCase, 'group'> => ({
  name, config, token: (fx) => rsToken(fx, claims(fx)), status, ...(code === undefined ? {} : { code }),
});
/** Raw claims JSON with one member's value written verbatim (1e400, -0…). */
const rawClaim = (fx: SecurityFixtures, name: string, literal: string) => json(without(clockClaims(fx), name)).replace(/}$/, `,"${name}":${literal}}`);
add('claims: types', [
  ...(['exp', 'nbf', 'iat'] as const).flatMap((claim) => [
    clock(`${claim} as a numeric string`, 'clock', (fx) => clockClaims(fx, { [claim]: String(NOW + (claim === 'exp' ? 300 : -10)) }), 401, 'claim_invalid'),
    clock(`${claim} as "NaN"`, 'clock', (fx) => clockClaims(fx, { [claim]: 'NaN' }), 401, 'claim_invalid'),
    clock(`${claim} as 1e400 (Infinity after JSON.parse)`, 'clock', (fx) => rawClaim(fx, claim, '1e400'), 401, 'claim_invalid'),
    clock(`${claim} as -1e400`, 'clock', (fx) => rawClaim(fx, claim, '-1e400'), 401, 'claim_invalid'),
    clock(`${claim} as null`, 'clock', (fx) => clockClaims(fx, { [claim]: null }), 401, 'claim_invalid'),
    clock(`${claim} as true`, 'clock', (fx) => clockClaims(fx, { [claim]: true }), 401, 'claim_invalid'),
    clock(`${claim} as an array`, 'clock', (fx) => clockClaims(fx, { [claim]: [NOW + 300] }), 401, 'claim_invalid'),
    clock(`${claim} as an object`, 'clock', (fx) => clockClaims(fx, { [claim]: { $gt: 0 } }), 401, 'claim_invalid'),
  ]),
  clock('exp as a date string', 'clock', (fx) => clockClaims(fx, { exp: '2099-01-01T00:00:00Z' }), 401, 'claim_invalid'),
  clock('exp as -0', 'clock', (fx) => rawClaim(fx, 'exp', '-0'), 401, 'token_expired'),
  clock('exp as 0', 'clock', (fx) => clockClaims(fx, { exp: 0 }), 401, 'token_expired'),
  clock('exp as a huge negative number', 'clock', (fx) => clockClaims(fx, { exp: -9e15 }), 401, 'token_expired'),
  clock('exp missing', 'clock', (fx) => without(clockClaims(fx), 'exp'), 401, 'claim_missing'),
  clock('exp far in the future is the issuer\'s choice (accepted)', 'clock', (fx) => clockClaims(fx, { exp: 9e15 }), VALID),
  clock('nbf far in the future', 'clock', (fx) => clockClaims(fx, { nbf: 9e15 }), 401, 'token_not_yet_valid'),
  clock('nbf 1e308', 'clock', (fx) => clockClaims(fx, { nbf: 1e308 }), 401, 'token_not_yet_valid'),
  clock('iat far in the future with maxTokenAge', 'max-age', (fx) => clockClaims(fx, { iat: 9e15 }), 401, 'claim_invalid'),
]);
add('claims: time boundaries', [
  clock('exp = now (no tolerance): expired', 'clock', (fx) => clockClaims(fx, { exp: NOW }), 401, 'token_expired'),
  clock('exp = now - 1 s: expired', 'clock', (fx) => clockClaims(fx, { exp: NOW - 1 }), 401, 'token_expired'),
  clock('exp = now + 1 s: valid', 'clock', (fx) => clockClaims(fx, { exp: NOW + 1 }), VALID),
  clock('exp = now + 0.5 s: valid', 'clock', (fx) => clockClaims(fx, { exp: NOW + 0.5 }), VALID),
  clock('nbf = now: valid', 'clock', (fx) => clockClaims(fx, { nbf: NOW }), VALID),
  clock('nbf = now + 1 s: not yet valid', 'clock', (fx) => clockClaims(fx, { nbf: NOW + 1 }), 401, 'token_not_yet_valid'),
  clock('nbf = now - 1 s: valid', 'clock', (fx) => clockClaims(fx, { nbf: NOW - 1 }), VALID),
  clock('exp = now - 30 s, tolerance 30 s: expired', 'clock-tolerance', (fx) => clockClaims(fx, { exp: NOW - 30 }), 401, 'token_expired'),
  clock('exp = now - 29 s, tolerance 30 s: valid', 'clock-tolerance', (fx) => clockClaims(fx, { exp: NOW - 29 }), VALID),
  clock('exp = now - 31 s, tolerance 30 s: expired', 'clock-tolerance', (fx) => clockClaims(fx, { exp: NOW - 31 }), 401, 'token_expired'),
  clock('nbf = now + 30 s, tolerance 30 s: valid', 'clock-tolerance', (fx) => clockClaims(fx, { nbf: NOW + 30 }), VALID),
  clock('nbf = now + 31 s, tolerance 30 s: not yet valid', 'clock-tolerance', (fx) => clockClaims(fx, { nbf: NOW + 31 }), 401, 'token_not_yet_valid'),
  clock('maxTokenAge 1h: iat = now - 3600 s valid', 'max-age', (fx) => clockClaims(fx, { iat: NOW - 3600 }), VALID),
  clock('maxTokenAge 1h: iat = now - 3601 s too old', 'max-age', (fx) => clockClaims(fx, { iat: NOW - 3601 }), 401, 'token_expired'),
  clock('maxTokenAge 1h: iat = now + 1 s in the future', 'max-age', (fx) => clockClaims(fx, { iat: NOW + 1 }), 401, 'claim_invalid'),
  clock('maxTokenAge 1h: iat = now valid', 'max-age', (fx) => clockClaims(fx, { iat: NOW }), VALID),
  clock('maxTokenAge 1h: iat missing', 'max-age', (fx) => without(clockClaims(fx), 'iat'), 401, 'claim_missing'),
]);
const AUD = (fx: SecurityFixtures) => fx.rs.audience;
add('claims: aud', [
  clock('aud array with the expected value', 'clock', (fx) => clockClaims(fx, { aud: ['https://other.example', AUD(fx)] }), VALID),
  clock('aud array without the expected value', 'clock', (fx) => clockClaims(fx, { aud: ['https://other.example', 'https://another.example'] }), 401, 'audience_mismatch'),
  clock('aud empty array', 'clock', (fx) => clockClaims(fx, { aud: [] }), 401, 'audience_mismatch'),
  clock('aud nested array', 'clock', (fx) => clockClaims(fx, { aud: [[AUD(fx)]] }), 401, 'audience_mismatch'),
  clock('aud as an object', 'clock', (fx) => clockClaims(fx, { aud: { [AUD(fx)]: true } }), 401, 'audience_mismatch'),
  clock('aud with a trailing slash', 'clock', (fx) => clockClaims(fx, { aud: `${AUD(fx)}/` }), 401, 'audience_mismatch'),
  clock('aud in upper case', 'clock', (fx) => clockClaims(fx, { aud: AUD(fx).toUpperCase() }), 401, 'audience_mismatch'),
  clock('aud as a prefix', 'clock', (fx) => clockClaims(fx, { aud: AUD(fx).slice(0, -1) }), 401, 'audience_mismatch'),
  clock('aud missing', 'clock', (fx) => without(clockClaims(fx), 'aud'), 401, 'claim_missing'),
  clock('aud null', 'clock', (fx) => clockClaims(fx, { aud: null }), 401, 'audience_mismatch'),
  { name: 'aud list: one of two expected values', config: 'aud-list', token: (fx) => rsToken(fx, rsClaims(fx, { aud: 'https://api-b.jwt-guard.test' })), status: VALID },
  { name: 'aud list: array with one expected value', config: 'aud-list', token: (fx) => rsToken(fx, rsClaims(fx, { aud: ['x', 'https://api-a.jwt-guard.test'] })), status: VALID },
  { name: 'aud list: none of them', config: 'aud-list', token: (fx) => rsToken(fx, rsClaims(fx)), status: 401, code: 'audience_mismatch' },
]);
const ISS = (fx: SecurityFixtures) => fx.rs.issuer;
add('claims: iss', [
  clock('iss without its trailing slash', 'clock', (fx) => clockClaims(fx, { iss: ISS(fx).replace(/\/$/, '') }), 401, 'issuer_mismatch'),
  clock('iss with a second trailing slash', 'clock', (fx) => clockClaims(fx, { iss: `${ISS(fx)}/` }), 401, 'issuer_mismatch'),
  clock('iss in upper case', 'clock', (fx) => clockClaims(fx, { iss: ISS(fx).toUpperCase() }), 401, 'issuer_mismatch'),
  clock('iss with an upper-case scheme', 'clock', (fx) => clockClaims(fx, { iss: ISS(fx).replace('https', 'HTTPS') }), 401, 'issuer_mismatch'),
  clock('iss over http', 'clock', (fx) => clockClaims(fx, { iss: ISS(fx).replace('https', 'http') }), 401, 'issuer_mismatch'),
  clock('iss with a trailing space', 'clock', (fx) => clockClaims(fx, { iss: `${ISS(fx)} ` }), 401, 'issuer_mismatch'),
  clock('iss with a NUL', 'clock', (fx) => clockClaims(fx, { iss: `${ISS(fx)}\u0000` }), 401, 'issuer_mismatch'),
  clock('iss with a default port', 'clock', (fx) => clockClaims(fx, { iss: ISS(fx).replace('.test/', '.test:443/') }), 401, 'issuer_mismatch'),
  clock('iss as a suffix domain', 'clock', (fx) => clockClaims(fx, { iss: ISS(fx).replace('https://', 'https://evil.') }), 401, 'issuer_mismatch'),
  clock('iss as an array', 'clock', (fx) => clockClaims(fx, { iss: [ISS(fx)] }), 401, 'issuer_mismatch'),
  clock('iss as null', 'clock', (fx) => clockClaims(fx, { iss: null }), 401, 'issuer_mismatch'),
  clock('iss missing', 'clock', (fx) => without(clockClaims(fx), 'iss'), 401, 'claim_missing'),
]);
const atHeader = (typ: unknown) => rsHeader({ typ });
add('typ', [
  { name: 'ID token (typ JWT, nonce, aud = client id) on the at+jwt guard', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx, { nonce: 'n-0S6_WzA2Mj', at_hash: 'x' })), status: 401, code: 'type_mismatch' },
  { name: 'typ "id_token" on the at+jwt guard', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('id_token')), status: 401, code: 'type_mismatch' },
  { name: 'typ missing on the at+jwt guard', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), without(rsHeader(), 'typ')), status: 401, code: 'type_mismatch' },
  { name: 'typ "at+jwt " (trailing space)', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('at+jwt ')), status: 401, code: 'type_mismatch' },
  { name: 'typ "application/at+jwt; q=1"', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('application/at+jwt; q=1')), status: 401, code: 'type_mismatch' },
  { name: 'typ "application/jwt"', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('application/jwt')), status: 401, code: 'type_mismatch' },
  { name: 'typ as an array', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader(['at+jwt'])), status: 401, code: 'type_mismatch' },
  { name: 'typ "at+jwt" accepted', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('at+jwt')), status: VALID },
  { name: 'typ "AT+JWT" accepted (media types are case-insensitive)', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('AT+JWT')), status: VALID },
  { name: 'typ "application/at+jwt" accepted', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('application/at+jwt')), status: VALID },
  { name: 'ID token (aud = client id) on the default guard', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx, { aud: 'spa-client-id', nonce: 'n' })), status: 401, code: 'audience_mismatch' },
]);

/** A trusted token of exactly `length` characters (a padding claim and header member fill it up). */
function tokenOfLength(fx: SecurityFixtures, length: number): string {
  for (let headerPad = 0; headerPad < 4; headerPad++) {
    const header = rsHeader({ pad: 'h'.repeat(headerPad) });
    for (let fill = Math.floor(length * 0.7); fill > 0; fill--) {
      const claims = rsClaims(fx, { pad: 'p'.repeat(fill) });
      const size = b64url(json(header)).length + b64url(json(claims)).length + 2 + 342;
      if (size === length) return rsToken(fx, claims, header);
      if (size < length) break;
    }
  }
  throw new Error(`no token of exactly ${length} characters`);
}

// --- size ------------------------------------------------------------------------------------------------------------
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
add('size', [
  structural('one character over maxTokenLength (8193)', (t) => `${t}${'A'.repeat(9000)}`.slice(0, 8193), 'token_too_large'),
  { name: 'exactly maxTokenLength (8192), trusted signature: accepted', config: 'RS256', token: (fx) => tokenOfLength(fx, 8192), status: VALID },
  structural('12 KB of base64url', () => `${'a'.repeat(6000)}.${'b'.repeat(6000)}.c`, 'token_too_large'),
  structural('12 KB of dots', () => '.'.repeat(12_000), 'token_too_large'),
  // The header is read before the signature, so its shape is bounded (SECURITY.md): nesting and width are refused unparsed.
  { name: 'deeply nested header (attacker)', config: 'RS256', token: (fx) => forge(`{"alg":"RS256","kid":"rs-trusted","x":${nested(2500)}}`, rsClaims(fx), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'token_malformed' },
  { name: 'deeply nested objects in the header (attacker)', config: 'RS256', token: (fx) => forge(`{"alg":"RS256","kid":"rs-trusted","x":${'{"a":'.repeat(700)}1${'}'.repeat(700)}}`, rsClaims(fx), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'token_malformed' },
  { name: 'deeply nested payload (attacker)', config: 'RS256', token: (fx) => forge(rsHeader(), json(rsClaims(fx)).replace(/}$/, `,"x":${nested(2500)}}`), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'signature_invalid' },
  { name: 'deeply nested payload over maxTokenLength', config: 'RS256', token: (fx) => forge(rsHeader(), json(rsClaims(fx)).replace(/}$/, `,"x":${nested(4000)}}`), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'token_too_large' },
  { name: 'very many claims (attacker)', config: 'RS256', token: (fx) => forge(rsHeader(), rsClaims(fx, Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`c${i}`, i]))), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'signature_invalid' },
  { name: 'very many header members (attacker)', config: 'RS256', token: (fx) => forge(rsHeader(Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`h${i}`, i]))), rsClaims(fx), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'token_malformed' },
  { name: 'very many claims over maxTokenLength', config: 'RS256', token: (fx) => forge(rsHeader(), rsClaims(fx, Object.fromEntries(Array.from({ length: 800 }, (_, i) => [`c${i}`, i]))), signers.rsa(fx.attacker.rsaPrivate)), status: 401, code: 'token_too_large' },
  { name: 'very many claims, trusted signature, within the limit (accepted)', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`c${i}`, i])))), status: VALID },
]);

// --- response hygiene: inputs that try to get into the response ----------------------------------------------------
add('response hygiene', [
  { name: 'alg with quotes, CR/LF and a fake header', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx), rsHeader({ alg: 'RS256"\r\nSet-Cookie: a=b\r\n"' })), status: 401, code: 'algorithm_not_allowed' },
  { name: 'kid with quotes and CR/LF', config: 'RS256', token: (fx) => attackerRs(fx, { kid: '"\r\nX-Evil: 1\r\n\\"' }), status: 401, code: 'key_not_found' },
  { name: 'exp missing: the message names the claim, nothing else', config: 'RS256', token: (fx) => rsToken(fx, without(rsClaims(fx), 'exp')), status: 401, code: 'claim_missing' },
  { name: 'iss with HTML and quotes', config: 'RS256', token: (fx) => rsToken(fx, rsClaims(fx, { iss: '<script>"alert(1)"</script>\r\n' })), status: 401, code: 'issuer_mismatch' },
  { name: 'typ with CR/LF on the at+jwt guard', config: 'at+jwt', token: (fx) => rsToken(fx, rsClaims(fx), atHeader('at+jwt\r\nX-Evil: 1')), status: 401, code: 'type_mismatch' },
]);

export const SECURITY_CASES: readonly SecurityCase[] = cases;
