import { secretFromEnv, type ExpressGuardOptions } from '@jwt-guard/express';

/**
 * Shared secrets per environment, with rotation: each deployment sets JWT_SECRET (and its kid);
 * during a rotation the previous secret stays valid under its own kid until its tokens expire.
 * A missing, short or placeholder secret stops the app at start-up with a message naming the
 * variable — never its value.
 *
 *   JWT_SECRET=... JWT_SECRET_KID=2026-11 JWT_PREVIOUS_SECRET=... JWT_PREVIOUS_SECRET_KID=2026-10
 */
export function guardOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ExpressGuardOptions {
  const secrets = [{ kid: env.JWT_SECRET_KID ?? 'current', secret: secretFromEnv('JWT_SECRET', { env }) }];
  if (env.JWT_PREVIOUS_SECRET !== undefined) {
    secrets.push({ kid: env.JWT_PREVIOUS_SECRET_KID ?? 'previous', secret: secretFromEnv('JWT_PREVIOUS_SECRET', { env }) });
  }
  return { secret: secrets, issuer: env.JWT_ISSUER ?? 'https://auth.internal/', audience: env.JWT_AUDIENCE ?? 'orders-service' };
}
