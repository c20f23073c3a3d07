import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '@jwt-guard/core';
import { CLAIM_OPTIONS, configError, ecPair, rsaPair, SECRET_32, SECRET_64, type RsaPair } from './helpers.js';

let rsa: RsaPair;
let rsa1024: RsaPair;

beforeAll(() => {
  rsa = rsaPair();
  rsa1024 = rsaPair(1024);
});

/** createVerifier with arbitrary (possibly ill-typed) options, as plain JavaScript callers would pass them. */
const create = (options: Record<string, unknown>) => createVerifier(options as VerifierOptions);

describe('createVerifier: options object and names', () => {
  it('refuses a missing options object', () => {
    expect(configError(() => create(null as unknown as Record<string, unknown>)).message).toContain(
      'createVerifier(options) needs an options object',
    );
  });

  it('refuses an unknown option and suggests the close one', () => {
    const error = configError(() => create({ secret: SECRET_32, ...CLAIM_OPTIONS, algorithm: ['HS256'] }));
    expect(error.message).toBe('jwt-guard configuration: unknown option "algorithm"; did you mean "algorithms"?');
    expect(configError(() => create({ secret: SECRET_32, issuer: 'x', audiences: 'y' })).message).toContain(
      'unknown option "audiences"; did you mean "audience"?',
    );
    expect(configError(() => create({ secret: SECRET_32, ...CLAIM_OPTIONS, clockTolerence: 5 })).message).toContain(
      'did you mean "clockTolerance"?',
    );
  });

  it('refuses an unknown option without a close match, without a suggestion', () => {
    expect(configError(() => create({ secret: SECRET_32, ...CLAIM_OPTIONS, foo: 1 })).message).toBe(
      'jwt-guard configuration: unknown option "foo".',
    );
  });
});

describe('createVerifier: key source', () => {
  it('refuses options with no key source and lists the five', () => {
    const error = configError(() => create({ ...CLAIM_OPTIONS }));
    expect(error.message).toContain('no key source');
    for (const name of ['secret', 'publicKey', 'jwks', 'jwksUri', 'getKey']) expect(error.message).toContain(name);
  });

  it('refuses two key sources, naming both', () => {
    const error = configError(() => create({ secret: SECRET_32, publicKey: rsa.publicPem, ...CLAIM_OPTIONS }));
    expect(error.message).toContain('secret and publicKey are both set');
    expect(error.message).toContain('exactly one key source');
    expect(configError(() => create({ jwks: { keys: [] }, jwksUri: 'https://x.example/jwks', ...CLAIM_OPTIONS })).message).toContain(
      'jwks and jwksUri are both set',
    );
  });

  it('refuses getKey without algorithms', () => {
    const error = configError(() => create({ getKey: () => undefined, ...CLAIM_OPTIONS }));
    expect(error.message).toContain('getKey needs algorithms');
    expect(error.message).toContain("['RS256']");
  });

  it('refuses a getKey that is not a function', () => {
    expect(configError(() => create({ getKey: 'key', algorithms: ['RS256'], ...CLAIM_OPTIONS })).message).toContain(
      'getKey must be a function',
    );
  });

  it('refuses a jwksUri that is not an http(s) URL', () => {
    expect(configError(() => create({ jwksUri: 'not a url', ...CLAIM_OPTIONS })).message).toContain('jwksUri is not a valid URL');
    expect(configError(() => create({ jwksUri: 'ftp://idp.example/jwks', ...CLAIM_OPTIONS })).message).toContain(
      'jwksUri must be an https: URL',
    );
  });

  it('accepts a jwksUri as a string or a URL without fetching at start-up', () => {
    expect(create({ jwksUri: 'https://idp.example/jwks', ...CLAIM_OPTIONS }).algorithms).toContain('RS256');
    expect(create({ jwksUri: new URL('https://idp.example/jwks'), ...CLAIM_OPTIONS }).algorithms).toContain('ES256');
  });
});

describe('createVerifier: HMAC secret strength', () => {
  it('refuses a secret shorter than 32 bytes for HS256, saying how to make one', () => {
    const error = configError(() => create({ secret: SECRET_32.slice(0, 31), ...CLAIM_OPTIONS }));
    expect(error.message).toContain('the HMAC secret is 31 bytes; HS256 needs at least 32 (RFC 7518 §3.2)');
    expect(error.message).toContain('randomBytes(32)');
  });

  it('accepts exactly 32 bytes for HS256', () => {
    expect(create({ secret: SECRET_32, ...CLAIM_OPTIONS }).algorithms).toEqual(['HS256']);
  });

  it('counts bytes, not characters', () => {
    // 16 two-byte characters: 32 bytes, 16 distinct characters.
    const secret = 'éàèùâêîôûëïüçœæ€';
    expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
    expect(create({ secret, ...CLAIM_OPTIONS }).algorithms).toEqual(['HS256']);
  });

  it('refuses a secret shorter than 64 bytes when HS512 is allowed', () => {
    const error = configError(() => create({ secret: SECRET_32, algorithms: ['HS512'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('the HMAC secret is 32 bytes; HS512 needs at least 64');
    expect(configError(() => create({ secret: SECRET_32, algorithms: ['HS256', 'HS384'], ...CLAIM_OPTIONS })).message).toContain(
      'HS384 needs at least 48',
    );
    expect(create({ secret: SECRET_64, algorithms: ['HS512'], ...CLAIM_OPTIONS }).algorithms).toEqual(['HS512']);
  });

  it('refuses a low-entropy placeholder even when long enough', () => {
    const error = configError(() => create({ secret: 'a'.repeat(64), ...CLAIM_OPTIONS }));
    expect(error.message).toContain('fewer than 10 distinct bytes: it is a placeholder, not a secret');
    expect(configError(() => create({ secret: 'changeme'.repeat(4), ...CLAIM_OPTIONS })).message).toContain('placeholder');
    expect(configError(() => create({ secret: new Uint8Array(32), ...CLAIM_OPTIONS })).message).toContain('placeholder');
  });

  it('refuses a secret made of a placeholder word, naming what was found (never the secret)', () => {
    expect(configError(() => create({ secret: 'changemechangemechangemechangeme1234', ...CLAIM_OPTIONS })).message).toContain(
      'the HMAC secret contains "changeme": it is a placeholder, not a secret.',
    );
    // jwt.io's famous default.
    const jwtIo = configError(() => create({ secret: 'your-256-bit-secret-your-256-bit-secret', ...CLAIM_OPTIONS }));
    expect(jwtIo.message).toContain('the HMAC secret contains "your-256-bit-secret": it is a placeholder, not a secret.');
    expect(jwtIo.message).toContain('randomBytes(32)');
    const random = () => randomBytes(24).toString('base64url');
    const words = [
      'your-256-bit-secret', 'your-secret', 'your_secret', 'yoursecret', 'supersecret', 'super-secret', 'super_secret',
      'changeme', 'change-me', 'change_me', 'replaceme', 'replace-me', 'replace_me', 'placeholder',
      'secretkey', 'secret-key', 'secret_key', 'mysecret', 'my-secret', 'my_secret', 'password',
    ];
    for (const word of words) {
      // Found in any case, anywhere in an otherwise random secret.
      const secret = `${random()}${word.toUpperCase()}${random()}`;
      const error = configError(() => create({ secret, ...CLAIM_OPTIONS }));
      expect(error.message, word).toContain(`the HMAC secret contains "${word}": it is a placeholder`);
      expect(error.message, word).not.toContain(secret);
    }
    expect(configError(() => create({ secret: `dev-Secret-${random()}-secret`, ...CLAIM_OPTIONS })).message).toContain('contains "secret" 2 times');
    // Bytes too: the text is that of the key bytes.
    expect(configError(() => create({ secret: new TextEncoder().encode(`${random()}changeme`), ...CLAIM_OPTIONS })).message).toContain('contains "changeme"');
    // One "secret" in a long, otherwise random string is not a placeholder.
    expect(() => create({ secret: `secret-${random()}`, ...CLAIM_OPTIONS })).not.toThrow();
  });

  it('accepts 1000 random secrets, base64url text and raw bytes (no false positives)', () => {
    for (let index = 0; index < 1000; index++) {
      expect(() => create({ secret: randomBytes(32).toString('base64url'), ...CLAIM_OPTIONS })).not.toThrow();
      expect(() => create({ secret: new Uint8Array(randomBytes(32)), ...CLAIM_OPTIONS })).not.toThrow();
    }
  });

  it('refuses an empty secret', () => {
    expect(configError(() => create({ secret: '', ...CLAIM_OPTIONS })).message).toContain('`secret` is empty');
  });

  it('refuses a secret that is neither a string nor bytes', () => {
    expect(configError(() => create({ secret: 12345, ...CLAIM_OPTIONS })).message).toContain('`secret` must be a string or a Uint8Array');
  });

  it('names the weak secret of a rotation by its kid', () => {
    const error = configError(() =>
      create({ secret: [{ kid: 'new', secret: SECRET_32 }, { kid: 'old', secret: 'short-secret' }], ...CLAIM_OPTIONS }),
    );
    expect(error.message).toContain('the HMAC secret "old" is 12 bytes');
  });

  it('checks an oct JWK against its own alg', () => {
    const k = Buffer.from(SECRET_32).toString('base64url');
    const error = configError(() => create({ jwks: { keys: [{ kty: 'oct', k, alg: 'HS512', kid: 'h' }] }, ...CLAIM_OPTIONS }));
    expect(error.message).toContain('the HMAC secret "h" is 32 bytes; HS512 needs at least 64');
  });

  it('never puts the secret in the message', () => {
    const weak = 'Tr0ub4dor&3-horse';
    const error = configError(() => create({ secret: weak, ...CLAIM_OPTIONS }));
    expect(error.message).not.toContain(weak);
    const placeholder = 'xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz';
    expect(configError(() => create({ secret: placeholder, ...CLAIM_OPTIONS })).message).not.toContain(placeholder);
    // A secret passed where a public key belongs is not echoed either.
    expect(configError(() => create({ publicKey: SECRET_32, ...CLAIM_OPTIONS })).message).not.toContain(SECRET_32);
  });
});

describe('createVerifier: issuer and audience', () => {
  it('requires issuer, saying false opts out', () => {
    const error = configError(() => create({ secret: SECRET_32, audience: 'api' }));
    expect(error.message).toContain('issuer is required');
    expect(error.message).toContain('"iss"');
    expect(error.message).toContain('false');
  });

  it('requires audience, saying false opts out', () => {
    const error = configError(() => create({ secret: SECRET_32, issuer: 'idp' }));
    expect(error.message).toContain('audience is required');
    expect(error.message).toContain('"aud"');
  });

  it('accepts false to skip either check explicitly', () => {
    expect(create({ secret: SECRET_32, issuer: false, audience: false }).algorithms).toEqual(['HS256']);
  });

  it('refuses empty strings, empty arrays and non-strings', () => {
    for (const issuer of ['', [], [''], [42], 42, true]) {
      expect(configError(() => create({ secret: SECRET_32, issuer, audience: 'api' })).message).toContain(
        'issuer must be a non-empty string, an array of them, or false',
      );
    }
    expect(configError(() => create({ secret: SECRET_32, issuer: 'idp', audience: [] })).message).toContain(
      'audience must be a non-empty string',
    );
  });
});

describe('createVerifier: algorithms', () => {
  it('refuses "none" in any spelling', () => {
    for (const none of ['none', 'None', 'NONE']) {
      const error = configError(() => create({ secret: SECRET_32, algorithms: ['HS256', none], ...CLAIM_OPTIONS }));
      expect(error.message).toContain('algorithms contains "none": unsigned tokens are never accepted');
    }
  });

  it('refuses unknown algorithm names, listing the supported ones', () => {
    const error = configError(() => create({ secret: SECRET_32, algorithms: ['HS257'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('algorithms contains "HS257", which is not a JWS signature algorithm');
    expect(error.message).toContain('HS256, HS384, HS512, RS256');
    expect(configError(() => create({ publicKey: rsa.publicPem, algorithms: ['rs256'], ...CLAIM_OPTIONS })).message).toContain(
      'algorithms contains "rs256"',
    );
  });

  it('refuses an empty or non-array list', () => {
    expect(configError(() => create({ secret: SECRET_32, algorithms: [], ...CLAIM_OPTIONS })).message).toContain(
      'algorithms must be a non-empty array',
    );
    expect(configError(() => create({ secret: SECRET_32, algorithms: 'HS256', ...CLAIM_OPTIONS })).message).toContain(
      'algorithms must be a non-empty array',
    );
  });

  it('refuses HS* mixed with asymmetric algorithms', () => {
    const error = configError(() => create({ secret: SECRET_32, algorithms: ['HS256', 'RS256'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('mixes HMAC (HS*) with asymmetric algorithms');
    expect(configError(() => create({ getKey: () => undefined, algorithms: ['RS256', 'HS256'], ...CLAIM_OPTIONS })).message).toContain(
      'mixes HMAC',
    );
  });

  it('refuses HS* with a public key (key confusion)', () => {
    const error = configError(() => create({ publicKey: rsa.publicPem, algorithms: ['HS256'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('an HMAC algorithm with public keys');
    expect(error.message).toContain('key confusion');
  });

  it('refuses RS* with a secret', () => {
    const error = configError(() => create({ secret: SECRET_32, algorithms: ['RS256'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('algorithms lists RS256 but `secret` holds HMAC secrets: use HS256, HS384 or HS512');
  });

  it('refuses an allowlist no configured key can serve', () => {
    const p384 = ecPair('P-384');
    const error = configError(() => create({ publicKey: p384.publicKey, algorithms: ['ES256'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('no configured key can verify any of ES256');
    expect(configError(() => create({ publicKey: rsa.publicKey, algorithms: ['EdDSA'], ...CLAIM_OPTIONS })).message).toContain(
      'no configured key can verify any of EdDSA',
    );
  });
});

describe('createVerifier: durations and other option values', () => {
  const base = { secret: SECRET_32, ...CLAIM_OPTIONS };

  it.each([
    ['clockTolerance', '5 parsecs'],
    ['clockTolerance', -1],
    ['clockTolerance', Number.NaN],
    ['clockTolerance', Number.POSITIVE_INFINITY],
    ['clockTolerance', ''],
    ['maxTokenAge', 'a while'],
    ['maxTokenAge', '-5m'],
    ['maxTokenAge', {}],
  ])('refuses %s = %j', (name, value) => {
    const error = configError(() => create({ ...base, [name]: value }));
    expect(error.message).toContain(`${name} must be a non-negative number of seconds or a duration such as '30s', '5m', '2h'`);
  });

  it.each([
    ['jwksCacheMaxAge', 'forever'],
    ['jwksCooldown', -1],
    ['jwksTimeout', '5 fortnights'],
  ])('refuses %s = %j (jwksUri)', (name, value) => {
    const error = configError(() => create({ jwksUri: 'https://idp.example/jwks', ...CLAIM_OPTIONS, [name]: value }));
    expect(error.message).toContain(`${name} must be a non-negative number of seconds`);
  });

  it('accepts numbers and duration strings', () => {
    for (const value of [0, 30, 1.5, '30', '30s', '5 min', '1.5m', '2h', '1d', ' 10 seconds ']) {
      expect(() => create({ ...base, clockTolerance: value, maxTokenAge: value })).not.toThrow();
    }
  });

  it('refuses a requireExp that is not a boolean', () => {
    expect(configError(() => create({ ...base, requireExp: 'no' })).message).toContain('requireExp must be true or false');
  });

  it('refuses requiredClaims that are not claim names', () => {
    expect(configError(() => create({ ...base, requiredClaims: [''] })).message).toContain('requiredClaims must be an array of claim names');
    expect(configError(() => create({ ...base, requiredClaims: [7] })).message).toContain('requiredClaims must be an array');
  });

  it('refuses an empty or non-string typ', () => {
    expect(configError(() => create({ ...base, typ: '' })).message).toContain("typ must be a media type string such as 'at+jwt'");
    expect(configError(() => create({ ...base, typ: 1 })).message).toContain('typ must be a media type string');
  });

  it('refuses a maxTokenLength that is not a positive integer', () => {
    for (const maxTokenLength of [0, -1, 1.5, '100', Number.POSITIVE_INFINITY]) {
      expect(configError(() => create({ ...base, maxTokenLength })).message).toContain('maxTokenLength must be a positive integer');
    }
  });

  it('refuses a currentDate that is neither a Date nor a function', () => {
    expect(configError(() => create({ ...base, currentDate: '2020-01-01' })).message).toContain(
      'currentDate must be a Date or a function returning a Date',
    );
  });

  it('refuses a scopeClaim that is neither a claim name nor a function', () => {
    expect(configError(() => create({ ...base, scopeClaim: 42 })).message).toContain(
      'scopeClaim must be a claim name or a function',
    );
  });
});

describe('createVerifier: RSA key checks', () => {
  it('refuses a 1024-bit RSA key in every form', () => {
    for (const publicKey of [rsa1024.publicKey, rsa1024.publicPem, rsa1024.publicJwk, rsa1024.privateKey]) {
      expect(configError(() => create({ publicKey, ...CLAIM_OPTIONS })).message).toContain(
        'is a 1024-bit RSA key; RFC 7518 §3.3 requires 2048 bits or more',
      );
    }
    expect(configError(() => create({ jwks: { keys: [{ ...rsa1024.publicJwk, kid: 'small' }] }, ...CLAIM_OPTIONS })).message).toContain(
      '`jwks`.keys[0] is a 1024-bit RSA key',
    );
  });

  it.each([
    ['1', 'AQ'],
    ['2', 'Ag'],
    ['65536', 'AQAA'],
  ])('refuses an RSA public exponent of %s', (_label, e) => {
    const jwk: JWK = { kty: 'RSA', n: rsa.publicJwk.n!, e };
    expect(configError(() => create({ publicKey: jwk, ...CLAIM_OPTIONS })).message).toContain(
      'has an RSA public exponent that is not odd and greater than 1',
    );
    expect(configError(() => create({ jwks: { keys: [{ ...jwk, kid: 'e' }] }, ...CLAIM_OPTIONS })).message).toContain(
      'RSA public exponent',
    );
  });

  it('accepts the usual exponent 65537', () => {
    expect(create({ publicKey: { kty: 'RSA', n: rsa.publicJwk.n!, e: 'AQAB' }, ...CLAIM_OPTIONS }).algorithms).toEqual(['RS256']);
  });
});

describe('createVerifier: EC, OKP and JWK checks', () => {
  it('refuses an EC point that is not on the curve', () => {
    const { publicJwk } = ecPair('P-256');
    const y = Buffer.from(publicJwk.y!, 'base64url');
    y[y.length - 1]! ^= 1;
    const offCurve: JWK = { ...publicJwk, y: y.toString('base64url') };
    expect(configError(() => create({ publicKey: offCurve, ...CLAIM_OPTIONS })).message).toContain('is not a valid EC public key');
    expect(configError(() => create({ jwks: { keys: [offCurve] }, ...CLAIM_OPTIONS })).message).toContain(
      '`jwks`.keys[0] is not a valid EC public key',
    );
  });

  it('refuses EC curves and key types jwt-guard does not verify', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    expect(configError(() => create({ publicKey: k1, ...CLAIM_OPTIONS })).message).toContain('uses the EC curve secp256k1');
    const x25519 = generateKeyPairSync('x25519').publicKey;
    expect(configError(() => create({ publicKey: x25519, ...CLAIM_OPTIONS })).message).toContain('is a x25519 key');
  });

  it('refuses a JWK whose alg does not fit its key (never an HMAC allowlist for a public key)', () => {
    const p256 = ecPair('P-256');
    const k = Buffer.from(SECRET_32).toString('base64url');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ publicKey: { ...rsa.publicJwk, alg: 'HS256' } }, '`publicKey` has "alg" HS256, which does not fit its RSA key'],
      [{ jwks: { keys: [{ ...rsa.publicJwk, alg: 'ES256', kid: 'r' }] } }, '`jwks`.keys[0] has "alg" ES256, which does not fit its RSA key'],
      [{ publicKey: { ...p256.publicJwk, alg: 'ES384' } }, '`publicKey` has "alg" ES384, which does not fit its EC P-256 key'],
      [{ jwks: { keys: [{ kty: 'oct', k, alg: 'RS256' }] } }, '`jwks`.keys[0] has "alg" RS256, which does not fit its oct key'],
    ];
    for (const [options, message] of cases) {
      expect(configError(() => create({ ...options, ...CLAIM_OPTIONS })).message).toContain(message);
    }
  });

  it('refuses HMAC algorithms with jwksUri, which only serves public keys', () => {
    const error = configError(() => create({ jwksUri: 'https://idp.example/jwks', algorithms: ['HS256'], ...CLAIM_OPTIONS }));
    expect(error.message).toContain('algorithms lists an HMAC algorithm with public keys');
  });

  it('refuses a JWK set mixing oct and EC keys', () => {
    const ec = ecPair('P-256');
    const k = Buffer.from(SECRET_32).toString('base64url');
    const error = configError(() => create({ jwks: { keys: [{ kty: 'oct', k, kid: 'h' }, { ...ec.publicJwk, kid: 'e' }] }, ...CLAIM_OPTIONS }));
    expect(error.message).toContain('mixes HMAC secrets ("oct") with public keys');
  });

  it('refuses duplicate kids in jwks, secret rotations and publicKey arrays', () => {
    const a = ecPair('P-256');
    const b = ecPair('P-256');
    expect(
      configError(() => create({ jwks: { keys: [{ ...a.publicJwk, kid: 'k1' }, { ...b.publicJwk, kid: 'k1' }] }, ...CLAIM_OPTIONS })).message,
    ).toContain('`jwks` has two keys with the kid "k1"; each kid must be unique');
    expect(
      configError(() => create({ secret: [{ kid: 'k', secret: SECRET_32 }, { kid: 'k', secret: SECRET_64 }], ...CLAIM_OPTIONS })).message,
    ).toContain('`secret` has two keys with the kid "k"');
    expect(
      configError(() => create({ publicKey: [{ ...a.publicJwk, kid: 'p' }, { ...b.publicJwk, kid: 'p' }], ...CLAIM_OPTIONS })).message,
    ).toContain('`publicKey` has two keys with the kid "p"');
  });

  it('refuses an oct JWK passed as publicKey', () => {
    const error = configError(() => create({ publicKey: { kty: 'oct', k: Buffer.from(SECRET_32).toString('base64url') }, ...CLAIM_OPTIONS }));
    expect(error.message).toContain('`publicKey` is an "oct" JWK, an HMAC secret: pass it in `secret`');
  });

  it('refuses a secret KeyObject passed as publicKey', () => {
    const error = configError(() => create({ publicKey: createSecretKey(Buffer.from(SECRET_32)), ...CLAIM_OPTIONS }));
    expect(error.message).toContain('`publicKey` is a secret KeyObject: HMAC secrets belong in `secret`');
  });

  it('refuses a string that is not PEM as publicKey, pointing to `secret`', () => {
    const error = configError(() => create({ publicKey: SECRET_32, ...CLAIM_OPTIONS }));
    expect(error.message).toContain('`publicKey` is not a PEM key');
    expect(error.message).toContain('an HMAC secret belongs in `secret`');
  });

  it('refuses a broken PEM and a non-key object', () => {
    expect(
      configError(() => create({ publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', ...CLAIM_OPTIONS })).message,
    ).toContain('could not be read as a PEM public key or certificate');
    expect(configError(() => create({ publicKey: { n: 'x' }, ...CLAIM_OPTIONS })).message).toContain(
      '`publicKey` must be a PEM string, a JWK, a KeyObject or a CryptoKey',
    );
  });

  it('refuses a single publicKey JWK meant for encryption', () => {
    expect(configError(() => create({ publicKey: { ...rsa.publicJwk, use: 'enc' }, ...CLAIM_OPTIONS })).message).toContain(
      'its "use" is "enc", not "sig"',
    );
  });

  it('refuses empty arrays and sets', () => {
    expect(configError(() => create({ secret: [], ...CLAIM_OPTIONS })).message).toContain('`secret` is an empty array');
    expect(configError(() => create({ publicKey: [], ...CLAIM_OPTIONS })).message).toContain('`publicKey` is an empty array');
    expect(configError(() => create({ jwks: { keys: [] }, ...CLAIM_OPTIONS })).message).toContain(
      '`jwks` has no key usable for signature verification',
    );
  });

  it('refuses a jwks that is not a JWK Set, and a set whose keys are all for encryption', () => {
    expect(configError(() => create({ jwks: [rsa.publicJwk], ...CLAIM_OPTIONS })).message).toContain('`jwks` must be a JWK Set');
    expect(configError(() => create({ jwks: { keys: [{ ...rsa.publicJwk, use: 'enc' }] }, ...CLAIM_OPTIONS })).message).toContain(
      'has no key usable for signature verification',
    );
    expect(configError(() => create({ jwks: { keys: [{ kid: 'x' }] }, ...CLAIM_OPTIONS })).message).toContain('is not a JWK (it has no "kty")');
  });

  it('refuses malformed secret rotation entries', () => {
    expect(configError(() => create({ secret: [SECRET_32], ...CLAIM_OPTIONS })).message).toContain('secret[0] must be { kid?, secret }');
  });
});
