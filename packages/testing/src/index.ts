export { generateTestKeys, importTestKeys, TEST_ALGORITHMS, type GenerateTestKeysOptions, type TestAlgorithm, type TestKeyMaterial, type TestKeys } from './keys.js';
export { mintToken, type MintOptions } from './sign.js';
export { serveJwks, JWKS_PATH, type JwksServer, type ServeJwksOptions } from './jwks-server.js';
export {
  createTestIssuer,
  DEFAULT_TEST_AUDIENCE,
  DEFAULT_TEST_ISSUER,
  type TestIssuer,
  type TestIssuerOptions,
  type TestKeySource,
  type TestVerifierOptions,
} from './issuer.js';
export { bearer } from './headers.js';
