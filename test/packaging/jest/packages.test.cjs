// Every public @jwt-guard package must load through `require()` inside Jest (which has its own
// CommonJS module system and cannot load ESM-only dependencies such as jose 6), and
// @jwt-guard/core must verify a token there.
'use strict';

const { createHmac, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** [{ name, exports? }]: given by the vitest driver, or read from the workspace when run alone. */
function listPackages() {
  if (process.env.JWT_GUARD_PACKAGES) return JSON.parse(process.env.JWT_GUARD_PACKAGES);
  const packagesDir = path.resolve(__dirname, '../../../packages');
  return fs
    .readdirSync(packagesDir)
    .map((dir) => path.join(packagesDir, dir, 'package.json'))
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')))
    .filter((manifest) => manifest.private !== true)
    .map((manifest) => ({ name: manifest.name }));
}

const packages = listPackages();

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signHs256(payload, secret) {
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

test('finds the public packages', () => {
  expect(packages.map((pkg) => pkg.name)).toContain('@jwt-guard/core');
});

describe.each(packages)('require("$name")', ({ name, exports }) => {
  test('loads and has exports', () => {
    const mod = require(name);
    const keys = Object.keys(mod).sort();
    expect(keys.length).toBeGreaterThan(0);
    if (exports) expect(keys).toEqual([...exports].sort());
  });

  test('re-exports share one @jwt-guard/core instance', () => {
    const mod = require(name);
    const core = require('@jwt-guard/core');
    // A copy of core bundled into an adapter would make `instanceof JwtGuardError` lie.
    const copies = Object.keys(mod).filter((key) => key in core && mod[key] !== core[key]);
    expect(copies).toEqual([]);
  });
});

describe('@jwt-guard/core verifies tokens under Jest', () => {
  const { createVerifier, isJwtGuardError, JwtGuardError } = require('@jwt-guard/core');
  const secret = randomBytes(48).toString('base64url');
  const verifier = createVerifier({ secret, issuer: 'i', audience: 'a' });
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'user-1', iss: 'i', aud: 'a', iat: now, exp: now + 300, scope: 'read write' };

  test('accepts a valid HS256 token', async () => {
    const auth = await verifier.verify(signHs256(claims, secret));
    expect(auth.payload.sub).toBe('user-1');
    expect([...auth.scopes].sort()).toEqual(['read', 'write']);
  });

  test('refuses a token signed with another secret', async () => {
    const error = await verifier.verify(signHs256(claims, `${secret}-other`)).catch((caught) => caught);
    expect(isJwtGuardError(error)).toBe(true);
    expect(error).toBeInstanceOf(JwtGuardError);
    expect(error.code).toBe('signature_invalid');
  });

  test('refuses an expired token', async () => {
    const error = await verifier.verify(signHs256({ ...claims, exp: now - 600 }, secret)).catch((caught) => caught);
    expect(error.code).toBe('token_expired');
  });
});
