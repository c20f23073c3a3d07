/**
 * The fuzzer's properties, shared by the bounded run in the test suite (fuzz.test.ts) and the long
 * run (`pnpm fuzz`, fuzz-cli.ts). Each property mutates valid tokens — bit flips, character edits,
 * segment swaps, random JSON in the header or payload, random alg/kid/typ with the old signature or
 * an attacker's — and checks the core verifier: a token is accepted only if it is byte-identical to
 * one of the valid tokens, and every refusal is a JwtGuardError with a 4xx status and a clean challenge.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { createVerifier, JwtGuardError, type JWK, type Verifier } from '@jwt-guard/core';

export const FUZZ_NOW = 1_900_000_000;
const ISSUER = 'https://issuer.fuzz.test/';
const AUDIENCE = 'https://api.fuzz.test';

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

export interface FuzzContext {
  verifiers: Verifier[];
  /** Every valid token, with the index of the verifier that accepts it. */
  tokens: { verifier: number; token: string }[];
  /** Per verifier, the tokens it must accept. */
  valid: Set<string>[];
  /** Signers an attacker has: none, HMAC keyed with public keys, their own keys. */
  attackerSigners: ((input: Buffer) => Buffer)[];
}

type Raw = (input: Buffer) => Buffer;

function keyed(alg: string, key: KeyObject | Uint8Array): Raw {
  switch (alg) {
    case 'HS256': return (input) => createHmac('sha256', key).update(input).digest();
    case 'RS256': return (input) => sign('sha256', input, key as KeyObject);
    case 'ES256': return (input) => sign('sha256', input, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
    default: return (input) => sign(null, input, key as KeyObject);
  }
}

function jws(header: object, payload: object, signer: Raw): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${b64(signer(Buffer.from(input)))}`;
}

/** Builds the keys, verifiers (fixed clock) and valid tokens. Everything random comes from node:crypto. */
export function createFuzzContext(): FuzzContext {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ed = generateKeyPairSync('ed25519');
  const secret = randomBytes(32);
  const jwk = (key: KeyObject, kid: string, alg: string): JWK => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });
  const common = { issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(FUZZ_NOW * 1000) };
  const setups: { alg: string; kid: string; signer: Raw; verifier: Verifier }[] = [
    { alg: 'RS256', kid: 'rs', signer: keyed('RS256', rsa.privateKey), verifier: createVerifier({ ...common, jwks: { keys: [jwk(rsa.publicKey, 'rs', 'RS256')] } }) },
    { alg: 'ES256', kid: 'es', signer: keyed('ES256', ec.privateKey), verifier: createVerifier({ ...common, jwks: { keys: [jwk(ec.publicKey, 'es', 'ES256')] } }) },
    { alg: 'HS256', kid: 'hs', signer: keyed('HS256', secret), verifier: createVerifier({ ...common, secret: [{ kid: 'hs', secret }], algorithms: ['HS256'] }) },
    { alg: 'EdDSA', kid: 'ed', signer: keyed('EdDSA', ed.privateKey), verifier: createVerifier({ ...common, jwks: { keys: [jwk(ed.publicKey, 'ed', 'EdDSA')] } }) },
  ];
  const payloads = [
    { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: FUZZ_NOW - 60, exp: FUZZ_NOW + 3600 },
    { iss: ISSUER, aud: ['https://other.test', AUDIENCE], sub: 'admin', exp: FUZZ_NOW + 60, nbf: FUZZ_NOW - 1, scope: 'orders:read orders:write', jti: 'j-1' },
    { exp: FUZZ_NOW + 10, aud: AUDIENCE, iss: ISSUER, role: 'admin', nested: { a: [1, 2, { b: null }] } },
  ];
  const tokens: FuzzContext['tokens'] = [];
  setups.forEach((setup, verifier) => {
    for (const payload of payloads) {
      tokens.push({ verifier, token: jws({ alg: setup.alg, typ: 'JWT', kid: setup.kid }, payload, setup.signer) });
      tokens.push({ verifier, token: jws({ kid: setup.kid, alg: setup.alg }, payload, setup.signer) });
    }
  });
  const valid = setups.map((_, index) => new Set(tokens.filter((t) => t.verifier === index).map((t) => t.token)));
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const attackerEc = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
  const attackerSigners: Raw[] = [
    () => Buffer.alloc(0),
    keyed('HS256', Buffer.from(pem(rsa.publicKey))),
    keyed('HS256', Buffer.from(JSON.stringify(rsa.publicKey.export({ format: 'jwk' })))),
    keyed('HS256', rsa.publicKey.export({ type: 'spki', format: 'der' })),
    keyed('HS256', Buffer.from(pem(ec.publicKey))),
    keyed('HS256', Buffer.alloc(32)),
    keyed('HS256', Buffer.alloc(0)),
    keyed('RS256', attacker.privateKey),
    keyed('ES256', attackerEc.privateKey),
    keyed('EdDSA', generateKeyPairSync('ed25519').privateKey),
  ];
  return { verifiers: setups.map((s) => s.verifier), tokens, valid, attackerSigners };
}

/** A counterexample: what the verifier did that it must not do. */
export class FuzzFailure extends Error {}

/** The invariant: accepted only if byte-identical to a valid token; otherwise a clean JwtGuardError. */
export async function checkToken(ctx: FuzzContext, verifier: number, token: string): Promise<void> {
  let accepted = false;
  try {
    await ctx.verifiers[verifier]!.verify(token);
    accepted = true;
  } catch (error) {
    if (!(error instanceof JwtGuardError)) {
      throw new FuzzFailure(`verifier ${verifier} threw a non-JwtGuardError (${String(error)}) for ${JSON.stringify(token)}`);
    }
    if (error.status >= 500) throw new FuzzFailure(`verifier ${verifier} answered ${error.status} ${error.code} for ${JSON.stringify(token)}`);
    const challenge = error.wwwAuthenticate ?? '';
    if (/[\r\n]/.test(challenge) || !/^Bearer(?: [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*"(?:, [a-z_]+="[\x20\x21\x23-\x5b\x5d-\x7e]*")*)?$/.test(challenge)) {
      throw new FuzzFailure(`bad WWW-Authenticate ${JSON.stringify(challenge)}`);
    }
  }
  if (accepted && !ctx.valid[verifier]!.has(token)) {
    throw new FuzzFailure(`verifier ${verifier} ACCEPTED a token that is not one of the valid ones: ${JSON.stringify(token)}`);
  }
}

const B64_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const EDIT_CHARS = [...B64_CHARS, '.', '=', '+', '/', ' ', '~', '\0', '\n', 'é', '"', '\\'];
const ALG_VALUES = ['none', 'None', 'NONE', 'nOnE', 'none ', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'ES256K', 'rs256', 'RS256 ', '', 'dir', 'RSA-OAEP'];
const KID_VALUES = ['rs', 'es', 'hs', 'ed', '', '../../../../dev/null', "' OR '1'='1", '"\r\nX: y', 'k'.repeat(300), '__proto__', 'constructor'];
const TYP_VALUES = ['JWT', 'jwt', 'at+jwt', 'application/at+jwt', 'JWS', 'id_token', ''];

const tokenRef = (ctx: FuzzContext) => fc.nat({ max: ctx.tokens.length - 1 }).map((index) => ctx.tokens[index]!);
/** A header/payload value: a known interesting one, a random string or any JSON value, or absent. */
const member = (known: readonly string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));

function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface FuzzProperty {
  name: string;
  /** Share of the total runs. */
  weight: number;
  property: fc.IAsyncPropertyWithHooks<unknown>;
}

export function fuzzProperties(ctx: FuzzContext): FuzzProperty[] {
  return [
    {
      name: 'bit flips in a valid token',
      weight: 25,
      property: fc.asyncProperty(tokenRef(ctx), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 1, maxLength: 4 }), async (ref, flips) => {
        const bytes = Buffer.from(ref.token, 'latin1');
        for (const [position, bit] of flips) bytes[position % bytes.length]! ^= 1 << bit;
        await checkToken(ctx, ref.verifier, bytes.toString('latin1'));
      }),
    },
    {
      name: 'character insertions, deletions and replacements',
      weight: 20,
      property: fc.asyncProperty(
        tokenRef(ctx),
        fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace'), fc.nat(), fc.constantFrom(...EDIT_CHARS)), { minLength: 1, maxLength: 3 }),
        async (ref, edits) => {
          let token = ref.token;
          for (const [kind, at, char] of edits) {
            const i = at % (token.length + 1);
            token = kind === 'insert' ? token.slice(0, i) + char + token.slice(i) : kind === 'delete' ? token.slice(0, i) + token.slice(i + 1) : token.slice(0, i) + char + token.slice(i + 1);
          }
          await checkToken(ctx, ref.verifier, token);
        },
      ),
    },
    {
      name: 'segments swapped between tokens, dropped and repeated',
      weight: 15,
      property: fc.asyncProperty(
        fc.nat({ max: ctx.verifiers.length - 1 }),
        fc.oneof(
          // Any segments of any tokens, one to five of them.
          fc.array(fc.tuple(fc.nat({ max: ctx.tokens.length - 1 }), fc.nat({ max: 2 })), { minLength: 1, maxLength: 5 }),
          // Header, payload and signature each from some token: mostly the same few, so whole valid tokens recur.
          fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 5 }), fc.nat({ max: 5 })).map(([h, p, s]) => [[h, 0], [p, 1], [s, 2]] as [number, number][]),
        ),
        async (verifier, picks) => {
          const base = picks.length === 3 && picks.every(([t], i) => t < 6 && picks[i]![1] === i) ? verifier * 6 : 0;
          const token = picks.map(([t, s]) => ctx.tokens[(base + t) % ctx.tokens.length]!.token.split('.')[s]!).join('.');
          await checkToken(ctx, verifier, token);
        },
      ),
    },
    {
      name: 'random JSON in the header or payload, original signature',
      weight: 15,
      property: fc.asyncProperty(
        tokenRef(ctx),
        fc.constantFrom(0, 1),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })),
        fc.boolean(),
        async (ref, index, value, merge) => {
          const parts = ref.token.split('.');
          const original = decode(parts[index]!);
          const replaced = merge && typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...original, ...value } : value;
          parts[index] = b64(JSON.stringify(replaced) ?? '');
          await checkToken(ctx, ref.verifier, parts.join('.'));
        },
      ),
    },
    {
      name: 'random alg, kid and typ: original signature or an attacker\'s',
      weight: 15,
      property: fc.asyncProperty(
        tokenRef(ctx),
        member(ALG_VALUES),
        member(KID_VALUES),
        member(TYP_VALUES),
        fc.option(fc.nat({ max: ctx.attackerSigners.length - 1 }), { nil: undefined }),
        fc.option(fc.constantFrom('jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64'), { nil: undefined }),
        async (ref, alg, kid, typ, signerIndex, extra) => {
          const [, payload, signature] = ref.token.split('.') as [string, string, string];
          const header: Record<string, unknown> = { alg, kid, typ };
          if (extra !== undefined) header[extra] = extra === 'b64' ? false : extra === 'crit' ? ['b64'] : extra === 'x5c' ? ['MIIB'] : extra === 'jwk' ? { kty: 'oct', k: 'AAAA' } : 'http://127.0.0.1:9/keys';
          const headerPart = b64(JSON.stringify(header));
          const input = `${headerPart}.${payload}`;
          const sig = signerIndex === undefined ? signature : b64(ctx.attackerSigners[signerIndex]!(Buffer.from(input)));
          await checkToken(ctx, ref.verifier, `${input}.${sig}`);
        },
      ),
    },
    {
      name: 'random strings and random three-part tokens',
      weight: 10,
      property: fc.asyncProperty(
        fc.nat({ max: ctx.verifiers.length - 1 }),
        fc.oneof(
          fc.string({ maxLength: 64 }),
          fc.string({ unit: 'binary', maxLength: 64 }),
          fc.array(fc.string({ unit: fc.constantFrom(...B64_CHARS), maxLength: 40 }), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
          fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), fc.uint8Array({ maxLength: 80 })).map(
            ([h, p, s]) => `${b64(JSON.stringify(h) ?? '')}.${b64(JSON.stringify(p) ?? '')}.${b64(s)}`,
          ),
        ),
        async (verifier, token) => {
          await checkToken(ctx, verifier, token);
        },
      ),
    },
  ];
}

/** Splits `total` runs by weight (each property at least one run). */
export function runsPerProperty(properties: readonly FuzzProperty[], total: number): number[] {
  const sum = properties.reduce((acc, p) => acc + p.weight, 0);
  return properties.map((p) => Math.max(1, Math.round((total * p.weight) / sum)));
}
