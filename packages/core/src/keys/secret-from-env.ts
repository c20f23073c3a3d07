import { checkOptionNames } from '../config.js';
import { configError } from '../errors.js';
import { HOW_TO_MAKE_A_SECRET } from './import.js';
import { importNamedSecret } from './secret-strength.js';

/**
 * How the variable's text becomes key bytes. `'utf8'`: the text's own UTF-8 bytes (what a plain
 * string `secret` means); the others decode the text, strictly.
 */
export type SecretEncoding = 'utf8' | 'base64url' | 'base64' | 'hex';

export interface SecretFromEnvOptions {
  /** The HMAC algorithm the secret is for; sets the minimum length (RFC 7518 §3.2). Default HS256. */
  algorithm?: 'HS256' | 'HS384' | 'HS512';
  /** Where to read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * How the text is turned into key bytes. Without it the text is returned as is, and a string
   * secret's key is its UTF-8 bytes: a base64url, base64 or hex text is NOT decoded. Name the
   * encoding the secret was generated in to get the decoded bytes (a `Uint8Array`).
   */
  encoding?: SecretEncoding;
}

const ENCODINGS: readonly SecretEncoding[] = ['utf8', 'base64url', 'base64', 'hex'];
const OPTION_NAMES: readonly (keyof SecretFromEnvOptions)[] = ['algorithm', 'env', 'encoding'];

/**
 * Reads an HMAC secret from an environment variable, at start-up: a variable that is unset, empty,
 * not valid in the given encoding, too short or an obvious placeholder stops the app with a message
 * naming the variable (never its value) and saying what to change.
 *
 * `jwtGuard({ secret: secretFromEnv('JWT_SECRET', { encoding: 'base64url' }), issuer, audience })`
 */
export function secretFromEnv(name: string, options?: SecretFromEnvOptions & { encoding?: undefined }): string;
export function secretFromEnv(name: string, options: SecretFromEnvOptions & { encoding: SecretEncoding }): Uint8Array;
export function secretFromEnv(name: string, options?: SecretFromEnvOptions): string | Uint8Array;
export function secretFromEnv(name: string, options: SecretFromEnvOptions = {}): string | Uint8Array {
  // A mistyped name ({ encodeing: 'hex' }) would silently give the text's own bytes: refuse it.
  checkOptionNames(options, OPTION_NAMES, `secretFromEnv(${JSON.stringify(name)})`);
  const { encoding } = options;
  if (encoding !== undefined && !ENCODINGS.includes(encoding)) {
    throw configError(`secretFromEnv(${JSON.stringify(name)}): encoding must be one of ${ENCODINGS.map((e) => `'${e}'`).join(', ')}.`);
  }
  const value = (options.env ?? process.env)[name];
  if (value === undefined || value.trim() === '') {
    throw configError(`the environment variable ${name} is not set. ${HOW_TO_MAKE_A_SECRET}`);
  }
  const secret = encoding === undefined ? value : decode(value, encoding, name);
  importNamedSecret(secret, name, options.algorithm ?? 'HS256');
  return secret;
}

/**
 * Decodes strictly: one wrong character, a bad padding or an odd hex length is refused rather
 * than skipped, because Node's lenient decoders would otherwise turn a mistyped secret into other
 * key bytes, and every token would then fail as `signature_invalid` with nothing pointing here.
 */
function decode(text: string, encoding: SecretEncoding, name: string): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(text);
  const refuse = (why: string): never => {
    throw configError(`${name} is not valid ${encoding}: ${why}. Store the secret in ${encoding}, or pass the encoding it was written in (${ENCODINGS.map((e) => `'${e}'`).join(', ')}).`);
  };
  if (/\s/.test(text)) refuse('it contains whitespace or a line break (check how the variable is set)');
  if (encoding === 'hex') {
    if (!/^[0-9a-fA-F]*$/.test(text)) refuse('it contains characters other than 0-9, a-f and A-F');
    if (text.length % 2 !== 0) refuse(`it has an odd number of hex digits (${text.length})`);
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  // Hex digits are base64 characters too, so a hex secret would decode silently into other bytes
  // (3/4 of its length); a random base64 text of a secret's length is never all hex digits.
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) {
    throw configError(`${name} is ${text.length} hex digits, not ${encoding}: it looks like hex (encoding: 'hex'), or drop encoding to use the text itself.`);
  }
  const alphabet = encoding === 'base64' ? /^[A-Za-z0-9+/]*$/ : /^[A-Za-z0-9_-]*$/;
  const body = text.replace(/=+$/, '');
  const padding = text.length - body.length;
  if (!alphabet.test(body)) {
    const other = encoding === 'base64' ? /[-_]/.test(body) && /^[A-Za-z0-9_-]*$/.test(body) : /[+/]/.test(body) && /^[A-Za-z0-9+/]*$/.test(body);
    refuse(
      encoding === 'base64'
        ? `it contains characters outside the base64 alphabet (A-Z, a-z, 0-9, +, /)${other ? "; it looks like base64url (encoding: 'base64url')" : ''}`
        : `it contains characters outside the base64url alphabet (A-Z, a-z, 0-9, -, _)${other ? "; it looks like base64 (encoding: 'base64')" : ''}`,
    );
  }
  if (body.length % 4 === 1) refuse(`its length (${body.length} characters without padding) is not possible in ${encoding}`);
  if (padding > 0 && (text.length % 4 !== 0 || padding > 2)) refuse('its "=" padding is wrong');
  if (encoding === 'base64' && padding === 0 && body.length % 4 !== 0) refuse('it lacks its "=" padding');
  const bytes = Buffer.from(body, encoding);
  // The last character may carry bits beyond the data; a text that does not re-encode to itself is not canonical.
  if (bytes.toString(encoding).replace(/=+$/, '') !== body) refuse('its last character has bits set that no encoder writes (a truncated or altered text?)');
  return new Uint8Array(bytes);
}
