import type { ExpressGuardOptions } from '@jwt-guard/express';

/** Stands in for AWS Secrets Manager, Vault, GCP Secret Manager…: async, slow-ish, counted. */
export class FakeSecretManager {
  calls = 0;
  constructor(private readonly secrets: Map<string, string>, private readonly latencyMs = 25) {}

  async getSecretValue(name: string): Promise<string | undefined> {
    this.calls += 1;
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return this.secrets.get(name);
  }
}

/**
 * Keys resolved per token `kid` from a secret manager. jwt-guard caches each result for
 * `getKeyCacheTtl` per (iss, kid, alg) and shares concurrent lookups, so the manager is asked once
 * per key and TTL, not once per request; a failing lookup is not cached and answers 503.
 */
export function guardOptionsFromSecretManager(manager: FakeSecretManager): ExpressGuardOptions {
  return {
    algorithms: ['HS256'],
    getKey: async (header) => (typeof header.kid === 'string' ? manager.getSecretValue(`jwt/${header.kid}`) : undefined),
    getKeyCacheTtl: '10m',
    issuer: 'https://auth.internal/',
    audience: 'orders-service',
  };
}
