import { isJwtGuardError, secretFromEnv, type SecretEncoding } from '@jwt-guard/core';
import { UsageError } from './time.js';

/** What `--secret-encoding` takes: the encodings of core's `secretFromEnv(name, { encoding })`. */
export const SECRET_ENCODINGS: readonly SecretEncoding[] = ['utf8', 'base64url', 'base64', 'hex'];

export function parseSecretEncoding(value: string | undefined): SecretEncoding | undefined {
  if (value === undefined) return undefined;
  if (!(SECRET_ENCODINGS as readonly string[]).includes(value)) throw new UsageError(`--secret-encoding must be one of ${SECRET_ENCODINGS.join(', ')}; got ${JSON.stringify(value)}.`);
  return value as SecretEncoding;
}

/**
 * The key bytes an app reading `$name` with `secretFromEnv(name, { encoding })` gets: the text as
 * is (its UTF-8 bytes) without an encoding, the decoded bytes with one. Core's own decoder and
 * strength checks, so the CLI and the app can never disagree; a refusal is a usage error (exit 2).
 */
export function secretBytesFromEnv(
  name: string,
  encoding: SecretEncoding | undefined,
  env: Record<string, string | undefined>,
  algorithm: 'HS256' | 'HS384' | 'HS512' = 'HS256',
): string | Uint8Array {
  try {
    return encoding === undefined ? secretFromEnv(name, { env, algorithm }) : secretFromEnv(name, { env, algorithm, encoding });
  } catch (error) {
    if (isJwtGuardError(error) && error.code === 'config_invalid') throw new UsageError(error.message.replace(/^jwt-guard configuration: /, ''));
    throw error;
  }
}
