import type { GuardHooks, VerificationLogFields } from './events.js';
import { rejectedFields, verifiedFields } from './events.js';

/** The part of a pino logger we use (`pino()`, Fastify's `app.log`, pino-http's `logger`). */
export type LogMethod = (fields: object, message?: string) => void;
export interface PinoLikeLogger {
  trace: LogMethod;
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

export type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface PinoHooksOptions {
  /** Level of a successful verification. Default `'debug'` (one per request adds up). */
  verifiedLevel?: PinoLevel;
  /** Level of a refusal. Default `'info'`: a client problem, not a server fault. */
  rejectedLevel?: PinoLevel;
  /** Level of a 503 (`key_source_unavailable`, `revocation_unavailable`). Default `'warn'`. */
  unavailableLevel?: PinoLevel;
  /** Key the fields are nested under; default none (top-level fields). */
  nestKey?: string;
  /** Edit or drop fields before logging (return `undefined` to skip the line). */
  transform?: (fields: VerificationLogFields) => VerificationLogFields | undefined;
}

/**
 * `onVerified` / `onRejected` hooks that write one structured pino line per verification: reason
 * code, `iss`, `sub`, `jti`, `kid`, `alg`, latency — never the token.
 *
 * @example
 * ```ts
 * const logger = pino();
 * app.use(pinoHttp({ logger }));
 * app.use(jwtGuard({ ...options, ...pinoHooks(logger) }));
 * // Fastify: await app.register(jwtGuard, { ...options, ...pinoHooks(app.log) });
 * ```
 */
export function pinoHooks(logger: PinoLikeLogger, options: PinoHooksOptions = {}): GuardHooks {
  if (typeof logger !== 'object' || logger === null || typeof logger.info !== 'function') {
    throw new TypeError('pinoHooks(logger): pass a pino logger (pino(), fastify.log, or the logger given to pino-http).');
  }
  const verifiedLevel = options.verifiedLevel ?? 'debug';
  const rejectedLevel = options.rejectedLevel ?? 'info';
  const unavailableLevel = options.unavailableLevel ?? 'warn';

  function write(level: PinoLevel, fields: VerificationLogFields, message: string): void {
    if (level === 'silent') return;
    const edited = options.transform ? options.transform(fields) : fields;
    if (edited === undefined) return;
    logger[level](options.nestKey === undefined ? edited : { [options.nestKey]: edited }, message);
  }

  return {
    onVerified(event) {
      write(verifiedLevel, verifiedFields(event), 'jwt-guard: token verified');
    },
    onRejected(event) {
      const level = event.status >= 500 ? unavailableLevel : rejectedLevel;
      write(level, rejectedFields(event), `jwt-guard: token refused (${event.code})`);
    },
  };
}
