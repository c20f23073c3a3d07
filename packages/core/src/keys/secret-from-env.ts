import { configError, JwtGuardError } from '../errors.js';
import { HOW_TO_MAKE_A_SECRET, importSecret } from './import.js';
import { checkSecretStrength } from './secret-strength.js';

export interface SecretFromEnvOptions {
  /** The HMAC algorithm the secret is for; sets the minimum length (RFC 7518 §3.2). Default HS256. */
  algorithm?: 'HS256' | 'HS384' | 'HS512';
  /** Where to read from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads an HMAC secret from an environment variable, at start-up: a variable that is unset, empty,
 * too short or an obvious placeholder stops the app with a message naming the variable (never its
 * value) and saying how to make a good secret.
 *
 * `jwtGuard({ secret: secretFromEnv('JWT_SECRET'), issuer, audience })`
 */
export function secretFromEnv(name: string, options: SecretFromEnvOptions = {}): string {
  const value = (options.env ?? process.env)[name];
  if (value === undefined || value.trim() === '') {
    throw configError(`the environment variable ${name} is not set. ${HOW_TO_MAKE_A_SECRET}`);
  }
  try {
    checkSecretStrength([importSecret(value, undefined, name)], [options.algorithm ?? 'HS256']);
  } catch (error) {
    if (error instanceof JwtGuardError) {
      throw configError(`${name}: ${error.message.replace(/^jwt-guard configuration: the HMAC secret /, 'the secret ')}`);
    }
    throw error;
  }
  return value;
}
