export { createSessions, type IssuedTokens, type LoginInput, type Sessions, type SessionsOptions } from './sessions.js';
export { memorySessionStore, SessionCapacityError, type MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.js';
export type { SessionFamily, SessionStore } from './store.js';
export type { SigningKeyOptions } from './signing-key.js';
export { serializeCookie, type CookieAttributes } from './cookies.js';
export { SESSION_ERROR_CODES, SessionError, isSessionError, type SessionErrorCode } from './errors.js';
export type { SessionCookieOptions, SessionCookiesOptions } from './session-cookies.js';
export { readBodyStream } from './read-body.js';
export {
  sessionEndpoints,
  type EndpointRequest,
  type EndpointResponse,
  type SessionEndpointName,
  type SessionEndpoints,
  type SessionEndpointsOptions,
  type SessionEvent,
} from './endpoints.js';
