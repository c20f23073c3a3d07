export {
  redisRevocationStore,
  type RedisRevocationEvent,
  type RedisRevocationState,
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './store.js';
export type { RedisRevocationClient, RedisRevocationMulti } from './client.js';
