export {
  redisRevocationStore,
  type RedisRevocationEvent,
  type RedisRevocationState,
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './store.js';
export type { RedisRevocationClient, RedisRevocationMulti } from './client.js';
export {
  redisSessionStore,
  type RedisSessionStore,
  type RedisSessionStoreOptions,
} from './session-store.js';
export { RedisSessionStoreError, type RedisSessionStoreErrorCode } from './session-errors.js';
export {
  redisReplayStore,
  type DpopReplayStore,
  type RedisReplayStore,
  type RedisReplayStoreOptions,
} from './replay-store.js';
export { RedisReplayStoreError, type RedisReplayStoreErrorCode } from './replay-errors.js';
