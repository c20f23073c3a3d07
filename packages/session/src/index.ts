export { serializeCookie, type CookieAttributes } from './cookies.js';
export { SESSION_ERROR_CODES, SessionError, isSessionError, type SessionErrorCode } from './errors.js';
export type { SessionCookieOptions, SessionCookiesOptions } from './session-cookies.js';
