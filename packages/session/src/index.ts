export { SESSION_ERROR_CODES, SessionError, isSessionError, type SessionErrorCode } from './errors.js';
