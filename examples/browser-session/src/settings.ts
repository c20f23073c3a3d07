import { randomBytes } from 'node:crypto';
import { secretFromEnv } from '@jwt-guard/core';

export type Env = Readonly<Record<string, string | undefined>>;

export interface BrowserSessionSettings {
  accessTokenLifetime: string;
  refreshReuseInterval: string;
  secret: Uint8Array;
  /** True when SESSION_SECRET was unset and a random secret was made for this start. */
  secretIsRandom: boolean;
}

/** The example's settings from the environment; every value has a default so the demo runs with no setup. */
export function settingsFromEnv(env: Env): BrowserSessionSettings {
  const secretIsRandom = env.SESSION_SECRET === undefined || env.SESSION_SECRET.trim() === '';
  return {
    accessTokenLifetime: env.ACCESS_TOKEN_LIFETIME ?? '5m',
    refreshReuseInterval: env.REFRESH_REUSE_INTERVAL ?? '2s',
    // A random secret means sessions do not survive a restart: fine for a demo, said on stderr.
    secret: secretIsRandom ? randomBytes(32) : secretFromEnv('SESSION_SECRET', { encoding: 'base64url', env: { ...env } }),
    secretIsRandom,
  };
}
