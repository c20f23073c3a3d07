import { describe, expect, it } from 'vitest';
import { createVerifier, secretFromEnv, type SecretEncoding, type SecretFromEnvOptions } from '@jwt-guard/core';
import { CLAIM_OPTIONS, configError, rejection, sign, validClaims } from './helpers.js';

const GOOD = 'r8Jm2xQ9vL4pN7tW1zC5yB3kF6hD0sGaEeUiOo';

describe('secretFromEnv', () => {
  it('returns a strong secret, ready for createVerifier', () => {
    const secret = secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: GOOD } });
    expect(secret).toBe(GOOD);
    expect(() => createVerifier({ secret, issuer: 'i', audience: 'a' })).not.toThrow();
  });

  it('stops start-up when the variable is unset or empty, naming it', () => {
    for (const env of [{}, { JWT_SECRET: '' }, { JWT_SECRET: '   ' }]) {
      expect(() => secretFromEnv('JWT_SECRET', { env })).toThrow(/environment variable JWT_SECRET is not set.*randomBytes\(32\)/);
    }
  });

  it('refuses a short secret for the algorithm, without echoing it', () => {
    const error = (() => {
      try {
        secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: 'hunter2-but-longer' } });
      } catch (caught) {
        return caught as Error & { code: string };
      }
      throw new Error('no error');
    })();
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(/JWT_SECRET: the secret is 18 bytes; HS256 needs at least 32/);
    expect(error.message).not.toContain('hunter2');
    expect(() => secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: GOOD }, algorithm: 'HS512' })).toThrow(/HS512 needs at least 64/);
  });

  it('refuses a placeholder', () => {
    expect(() => secretFromEnv('S', { env: { S: 'changeme'.repeat(5) } })).toThrow(/S: the secret has fewer than 10 distinct bytes/);
  });

  it('reads process.env by default', () => {
    process.env.JWT_GUARD_TEST_SECRET = GOOD;
    try {
      expect(secretFromEnv('JWT_GUARD_TEST_SECRET')).toBe(GOOD);
    } finally {
      delete process.env.JWT_GUARD_TEST_SECRET;
    }
  });
});

describe('secretFromEnv: encodings', () => {
  // 32 random-looking bytes with every base64 character class in their encodings ('+', '/', '-', '_').
  const BYTES = new Uint8Array(Buffer.from('fbef3e0a5d9c41b2e7f8a6c3d4b5e6f7a8b9c0d1e2f3a4b5c6d7e8f9fafbfcff', 'hex'));
  const TEXTS = {
    base64url: Buffer.from(BYTES).toString('base64url'),
    base64: Buffer.from(BYTES).toString('base64'),
    hex: Buffer.from(BYTES).toString('hex'),
  } as const;
  const read = (text: string, encoding?: SecretEncoding): string | Uint8Array => secretFromEnv('JWT_SECRET', { env: { JWT_SECRET: text }, encoding });

  it.each(Object.entries(TEXTS) as [keyof typeof TEXTS, string][])('%s: decodes to the bytes the token was signed with', async (encoding, text) => {
    const secret = read(text, encoding);
    expect(secret).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(secret as Uint8Array).equals(Buffer.from(BYTES))).toBe(true);
    const token = await sign(BYTES, 'HS256');
    const verified = await createVerifier({ secret, ...CLAIM_OPTIONS }).verify(token);
    expect(verified.payload.sub).toBe('user-1');
    // Rotation arrays take the bytes too.
    await expect(createVerifier({ secret: [{ kid: 'k', secret }], ...CLAIM_OPTIONS }).verify(await sign(BYTES, 'HS256', validClaims(), { kid: 'k' }))).resolves.toBeDefined();
  });

  it.each(Object.entries(TEXTS) as [keyof typeof TEXTS, string][])('%s text read without its encoding: signature_invalid', async (_encoding, text) => {
    const token = await sign(BYTES, 'HS256');
    // Without an encoding (or with 'utf8'), the text's own UTF-8 bytes are the key: not the decoded bytes.
    for (const secret of [read(text), read(text, 'utf8')]) {
      await rejection(createVerifier({ secret, ...CLAIM_OPTIONS }).verify(token), 'signature_invalid', 401);
    }
  });

  it('a hex text read as base64 (it would decode, to other bytes, and every token fail as signature_invalid) is refused at start-up', () => {
    // 64 hex digits are also valid base64 and base64url (a multiple of 4 characters of their alphabets).
    expect(Buffer.from(TEXTS.hex, 'base64')).toHaveLength(48);
    for (const encoding of ['base64', 'base64url'] as const) expect(configError(() => read(TEXTS.hex, encoding)).message).toContain("it looks like hex (encoding: 'hex')");
  });

  it("utf8: the text's UTF-8 bytes, as a Uint8Array", async () => {
    const secret = read(GOOD, 'utf8');
    expect(Buffer.from(secret as Uint8Array).toString('utf8')).toBe(GOOD);
    await expect(createVerifier({ secret, ...CLAIM_OPTIONS }).verify(await sign(GOOD, 'HS256'))).resolves.toBeDefined();
  });

  it('accepts base64url with correct padding, and unpadded base64url', () => {
    const padded = Buffer.from(BYTES).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    expect(padded.endsWith('=')).toBe(true);
    expect(Buffer.from(read(padded, 'base64url') as Uint8Array).equals(Buffer.from(BYTES))).toBe(true);
    expect(Buffer.from(read(TEXTS.hex.toUpperCase(), 'hex') as Uint8Array).equals(Buffer.from(BYTES))).toBe(true);
  });

  const refusals: ReadonlyArray<readonly [string, SecretEncoding, string, RegExp]> = [
    ['hex: odd length', 'hex', TEXTS.hex.slice(1), /JWT_SECRET is not valid hex: it has an odd number of hex digits \(63\)/],
    ['hex: a non-hex digit', 'hex', `${TEXTS.hex.slice(2)}zz`, /not valid hex: it contains characters other than 0-9, a-f and A-F/],
    ['hex: a base64url text', 'hex', TEXTS.base64url, /not valid hex/],
    ['base64url: a base64 text (+ and /)', 'base64url', TEXTS.base64, /not valid base64url: .*outside the base64url alphabet.*looks like base64 \(encoding: 'base64'\)/],
    ['base64url: a stray character', 'base64url', `${TEXTS.base64url.slice(1)}.`, /not valid base64url: it contains characters outside the base64url alphabet/],
    ['base64url: an impossible length', 'base64url', `${TEXTS.base64url}AA`, /not valid base64url: its length \(45 characters without padding\) is not possible/],
    ['base64url: wrong padding', 'base64url', `${TEXTS.base64url}===`, /not valid base64url: its "=" padding is wrong/],
    ['base64url: non-canonical last character', 'base64url', `${TEXTS.base64url.slice(0, -1)}B`, /not valid base64url: its last character has bits set/],
    ['base64: a base64url text (- and _)', 'base64', TEXTS.base64url.padEnd(44, '='), /not valid base64: .*outside the base64 alphabet.*looks like base64url \(encoding: 'base64url'\)/],
    ['base64: missing padding', 'base64', TEXTS.base64.replace(/=+$/, ''), /not valid base64: it lacks its "=" padding/],
    ['base64: too much padding', 'base64', `${TEXTS.base64}=`, /not valid base64: its "=" padding is wrong/],
    ['base64: a line break', 'base64', `${TEXTS.base64}\n`, /not valid base64: it contains whitespace or a line break/],
    ['base64url: decodes to too few bytes', 'base64url', Buffer.from(BYTES.subarray(0, 16)).toString('base64url'), /JWT_SECRET: the secret is 16 bytes; HS256 needs at least 32/],
    ['hex: decodes to a placeholder', 'hex', '00'.repeat(32), /JWT_SECRET: the secret has fewer than 10 distinct bytes/],
    ['base64url: a hex text', 'base64url', TEXTS.hex, /^jwt-guard configuration: JWT_SECRET is 64 hex digits, not base64url: it looks like hex \(encoding: 'hex'\), or drop encoding to use the text itself\.$/],
    ['base64: a hex text', 'base64', TEXTS.hex.toUpperCase(), /JWT_SECRET is 64 hex digits, not base64: it looks like hex \(encoding: 'hex'\), or drop encoding to use the text itself/],
  ];

  it.each(refusals)('refuses at start-up, naming the variable and not the value: %s', (_label, encoding, text, message) => {
    const error = configError(() => read(text, encoding));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(text.trim());
  });

  it('refuses a missing or empty variable whatever the encoding', () => {
    for (const env of [{}, { JWT_SECRET: '' }]) {
      expect(configError(() => secretFromEnv('JWT_SECRET', { env, encoding: 'hex' })).message).toContain('environment variable JWT_SECRET is not set');
    }
  });

  it('refuses an unknown option name, suggesting the one meant', () => {
    const options = { env: { JWT_SECRET: TEXTS.hex }, encodeing: 'hex' } as unknown as SecretFromEnvOptions;
    expect(configError(() => secretFromEnv('JWT_SECRET', options)).message).toBe('jwt-guard configuration: secretFromEnv("JWT_SECRET"): unknown option "encodeing"; did you mean "encoding"?');
    const unrelated = { env: { JWT_SECRET: GOOD }, fallback: 'x' } as unknown as SecretFromEnvOptions;
    expect(configError(() => secretFromEnv('JWT_SECRET', unrelated)).message).toMatch(/unknown option "fallback"\.$/);
  });

  it('a text of hex digits of odd length or short is not taken for hex', () => {
    // 43 base64url characters that happen to be hex digits would be refused as hex; of odd length they cannot be hex.
    expect(() => read(TEXTS.hex.slice(0, 43), 'base64url')).not.toThrow(/looks like hex/);
  });

  it('refuses an unknown encoding', () => {
    const options = { env: { JWT_SECRET: GOOD }, encoding: 'latin1' } as unknown as SecretFromEnvOptions;
    expect(configError(() => secretFromEnv('JWT_SECRET', options)).message).toContain("encoding must be one of 'utf8', 'base64url', 'base64', 'hex'");
  });

  it('refuses public key material after decoding, naming the variable once', () => {
    const pem = Buffer.from('-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n').toString('base64');
    const error = configError(() => read(pem, 'base64'));
    expect(error.message).toMatch(/^jwt-guard configuration: JWT_SECRET is .*not an HMAC secret/);
  });
});
