/** What Part D's bench process and its Nest server process (src/nest-server.ts) share; no Nest import, so the bench process loads none. */
export type NestPlatform = 'express' | 'fastify';
export type NestVariant = 'bare' | 'floor' | 'jwt-guard';
export const NEST_VARIANTS: readonly NestVariant[] = ['bare', 'floor', 'jwt-guard'];

/** `BENCH_SERVER` of src/nest-server.ts. */
export interface NestServerConfig {
  platform: NestPlatform;
  issuer: string;
  audience: string;
  /** RS256 public key */
  publicKeyPem: string;
  /** the scope the guarded routes require (the reused token carries it) */
  scope: string;
  /**
   * The profile script's mode: stdin lines `profile-start` and `profile-stop <file>` start and stop
   * V8's CPU profiler (answered by `PROFILING` / `PROFILED` on stdout), so start-up and warm-up stay out of the profile.
   */
  profile?: boolean;
}
