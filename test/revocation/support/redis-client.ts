/**
 * node-redis for the tests and fixtures: the copy @jwt-guard/redis installs (its dev and peer
 * dependency), which the store is built and typed against. This workspace package
 * (test/package.json) does not list `redis` itself.
 */
import { createClient } from '../../../packages/redis/test/redis-client.js';

export { createClient, RESP_TYPES } from '../../../packages/redis/test/redis-client.js';
export type RedisClient = ReturnType<typeof createClient>;
