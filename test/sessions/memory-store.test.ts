import { afterAll } from 'vitest';
import { memorySessionStore } from '@jwt-guard/session';
import { sessionStoreContract } from './store-contract.js';

const store = memorySessionStore();
afterAll(() => store.close());

sessionStoreContract('memorySessionStore', () => store);
