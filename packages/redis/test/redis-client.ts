/**
 * The `redis` package as @jwt-guard/redis installs it (its devDependency), for the revocation
 * tests in test/revocation: their workspace package (test/package.json) does not list `redis`.
 */
export { createClient, RESP_TYPES } from 'redis';
