/** `jwt-guard audit`'s findings: a stable id, a severity and the change that clears it (docs/cli.md lists them). */

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What `--json` prints for one finding: a stable shape (docs/cli.md). */
export interface Finding {
  id: FindingId;
  severity: Severity;
  /** One line: what was found. */
  message: string;
  /** One line: what to change. */
  fix: string;
  /** What the finding is about: a key (`kid`), a URL, a token (`token #2 sha256 1a2b…`), an option. */
  subject?: string;
}

/** Each finding's severity and its fix. The why of each severity is in docs/cli.md. */
const CATALOG = {
  'jwks.private_key': { severity: 'critical', fix: 'Publish only the public members (kty, n, e / crv, x, y); rotate this key now, it has been exposed.' },
  'jwks.rsa_below_2048': { severity: 'high', fix: 'Replace the key with RSA 3072 bits or more (or EC P-256): jwt-guard refuses RSA under 2048 bits (RFC 7518 §3.3).' },
  'jwks.rsa_below_3072': { severity: 'low', fix: 'Plan the next rotation to RSA 3072 bits or more, or to EC P-256 / Ed25519 (NIST SP 800-57: 2048 bits until 2030).' },
  'jwks.ec_curve_below_policy': { severity: 'medium', fix: 'Rotate to a key on the policy curve (--min-ec-curve) or a larger one.' },
  'jwks.key_refused': { severity: 'high', fix: 'Replace the key: the verifier refuses it, so tokens signed with it are refused.' },
  'jwks.kid_missing': { severity: 'low', fix: 'Give every key a unique "kid": tokens then name their key, and rotation can overlap old and new keys.' },
  'jwks.use_missing': { severity: 'low', fix: 'Set "use": "sig" (or "key_ops": ["verify"]) on signing keys, so that an encryption key is never used to verify.' },
  'jwks.too_many_keys': { severity: 'low', fix: 'Remove retired keys: a verifier may try each, and only the first ones were audited.' },
  'jwks.unreachable': { severity: 'high', fix: 'Check the JWKS URL, that it answers 2xx with a JWK Set within the timeout and the size bound, without a redirect.' },
  'jwks.invalid': { severity: 'high', fix: 'Serve a JWK Set: a JSON object with a "keys" array of JWKs.' },
  'jwks.cache_control_missing': { severity: 'low', fix: 'Serve the JWKS with "Cache-Control: public, max-age=300" (minutes to hours), so verifiers cache it for as long as you mean.' },
  'jwks.cache_control_no_cache': { severity: 'medium', fix: 'Replace no-store / no-cache / max-age=0 with a max-age of minutes to hours: every verifier refetches otherwise.' },
  'jwks.cache_control_too_long': { severity: 'low', fix: 'Lower max-age to a day or less, so that a new or revoked key reaches verifiers within a rotation window.' },
  'algorithms.none': { severity: 'critical', fix: 'Remove "none": an unsigned token must never be accepted.' },
  'algorithms.mixed_families': { severity: 'low', fix: 'Allow the algorithms of one key family (say RS256 alone, or ES256 alone) unless a rotation between families is under way.' },
  'algorithms.hmac_with_asymmetric': { severity: 'high', fix: 'Drop the HS* algorithms (and the secret): the issuer signs with public keys, and HMAC next to them invites key confusion.' },
  'discovery.issuer_mismatch': { severity: 'high', fix: 'Set the issuer to exactly the discovery document\'s "issuer" (a trailing slash counts).' },
  'discovery.unreachable': { severity: 'high', fix: 'Check the issuer URL: its /.well-known/openid-configuration must answer 2xx with JSON within the timeout.' },
  'discovery.invalid': { severity: 'high', fix: 'The discovery document must be a JSON object with "issuer" and an https "jwks_uri".' },
  'discovery.alg_none': { severity: 'medium', fix: 'Remove "none" from the issuer\'s signing algorithms, and never allow it on the API.' },
  'discovery.hmac_alg': { severity: 'info', fix: 'Keep HS* out of the API\'s algorithms: client-secret-signed tokens must not pass as access tokens.' },
  'secret.weak': { severity: 'high', fix: 'Generate a secret with `jwt-guard keygen --alg HS256` (32 random bytes or more) and rotate.' },
  'config.typ_not_required': { severity: 'low', fix: 'Require "typ": "at+jwt" (--typ at+jwt, option typ) so that ID tokens and other JWTs are not accepted as access tokens.' },
  'token.undecodable': { severity: 'info', fix: 'Check what was piped in: one compact JWS per line.' },
  'token.typ_missing': { severity: 'medium', fix: 'Have the issuer set the header "typ": "at+jwt" on access tokens (RFC 9068), and require it with typ: \'at+jwt\'.' },
  'token.typ_not_at_jwt': { severity: 'low', fix: 'Access tokens should carry "typ": "at+jwt" (RFC 9068 §2.1); set it at the issuer, then require it.' },
  'token.exp_missing': { severity: 'high', fix: 'Issue access tokens with an "exp": a token without one lives until the key is rotated.' },
  'token.lifetime_above_policy': { severity: 'medium', fix: 'Shorten the access-token lifetime at the issuer (or raise --max-lifetime if the policy says so); refresh instead.' },
  'token.jti_missing': { severity: 'medium', fix: 'Have the issuer put a unique "jti" in every token: revocation can then revoke one token, not only a subject.' },
  'token.alg_not_allowed': { severity: 'medium', fix: 'Align the issuer and the API: add the algorithm to the allowlist, or have the issuer sign with an allowed one.' },
  'token.kid_unknown': { severity: 'medium', fix: 'The token names a kid the JWKS does not hold: check that the API reads the issuer\'s JWKS (rotation, wrong environment).' },
} as const satisfies Record<string, { severity: Severity; fix: string }>;

export type FindingId = keyof typeof CATALOG;

export const FINDING_IDS = Object.keys(CATALOG) as FindingId[];

/** A finding of `id`, with its catalogued severity and fix. */
export function finding(id: FindingId, message: string, subject?: string): Finding {
  const entry = CATALOG[id];
  return { id, severity: entry.severity, message, fix: entry.fix, ...(subject === undefined ? {} : { subject }) };
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}
