import type { KeyEvent } from '@jwt-guard/core';
import type { DetectionEventLike, GuardHooks, VerificationLogFields } from './events.js';
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
  /**
   * Level of each key source event, by type. Defaults: `warn` for `keys_fetch_failed`,
   * `stale_keys_served`, `discovery_failed` and `issuer_mismatch` (your identity provider is failing
   * you); `info` for `unknown_kid` (a rotation, or a forged kid); `debug` for `keys_fetched` and
   * `discovery_fetched`.
   */
  keyEventLevels?: Partial<Record<KeyEvent['type'], PinoLevel>>;
  /** Key the fields are nested under; default none (top-level fields). */
  nestKey?: string;
  /** Level of a detection line (`onDetection`, see {@link pinoDetectionHook}). Default `'warn'`. */
  detectionLevel?: PinoLevel;
  /** Edit or drop the fields of a verification line before logging (return `undefined` to skip the line). Key event lines are written as they are. */
  transform?: (fields: VerificationLogFields) => VerificationLogFields | undefined;
}

const DEFAULT_KEY_EVENT_LEVELS: Record<KeyEvent['type'], PinoLevel> = {
  keys_fetched: 'debug',
  discovery_fetched: 'debug',
  unknown_kid: 'info',
  keys_fetch_failed: 'warn',
  stale_keys_served: 'warn',
  discovery_failed: 'warn',
  issuer_mismatch: 'warn',
};

/**
 * `onVerified` / `onRejected` hooks that write one structured pino line per verification: reason
 * code, `iss`, `sub`, `jti`, `kid`, `alg`, latency — never the token. `onKeyEvent` writes one line
 * per key source event (`event: 'jwt_guard.key_event'` and the event's fields: URL with its query
 * values redacted by core, reason, counts, times; never a key). For the detectors' events, see
 * {@link pinoDetectionHook}.
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

  const keyEventLevels = { ...DEFAULT_KEY_EVENT_LEVELS, ...options.keyEventLevels };

  function write(level: PinoLevel, fields: VerificationLogFields, message: string): void {
    if (level === 'silent') return;
    const edited = options.transform ? options.transform(fields) : fields;
    if (edited === undefined) return;
    writeLine(logger, level, options.nestKey, edited, message);
  }

  return {
    onVerified(event) {
      write(verifiedLevel, verifiedFields(event), 'jwt-guard: token verified');
    },
    onRejected(event) {
      const level = event.status >= 500 ? unavailableLevel : rejectedLevel;
      write(level, rejectedFields(event), `jwt-guard: token refused (${event.code})`);
    },
    onKeyEvent(event) {
      writeLine(logger, keyEventLevels[event.type], options.nestKey, { event: 'jwt_guard.key_event', ...event }, `jwt-guard: key source ${event.type}`);
    },
    onDetection: pinoDetectionHook(logger, { level: options.detectionLevel ?? 'warn', ...(options.nestKey === undefined ? {} : { nestKey: options.nestKey }) }),
  };
}

function writeLine(logger: PinoLikeLogger, level: PinoLevel, nestKey: string | undefined, fields: object, message: string): void {
  if (level === 'silent') return;
  logger[level](nestKey === undefined ? fields : { [nestKey]: fields }, message);
}

export interface PinoDetectionHookOptions {
  /** Level of a detection line. Default `'warn'`: someone may be using a stolen token, or probing for a forgery. */
  level?: PinoLevel;
  /** Key the fields are nested under; default none (top-level fields). */
  nestKey?: string;
}

/** The fields of a detection that are logged, when the event has them (core's event has more than {@link DetectionEventLike}). */
const DETECTION_FIELDS = [
  'clientAddress', 'distinctAddresses', 'distinctUserAgents', 'signals', 'reasons', 'windowSeconds', 'iss', 'sub', 'jti',
] as const;

/**
 * The detectors' hook (the guard's `onDetection`) writing one pino line per detection:
 * `event: 'jwt_guard.detection'`, `type` (`token_shared`, `forgery_probe`), the response (`action`,
 * `actionFailed`) and the detection's facts (client address, counts, window, `iss`/`sub`/`jti` of a
 * shared token, the refusal reasons of a probe). Fields are picked by name, never the token.
 */
export function pinoDetectionHook(logger: PinoLikeLogger, options: PinoDetectionHookOptions = {}): (event: DetectionEventLike) => void {
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function') {
    throw new TypeError('pinoDetectionHook(logger): pass a pino logger (pino(), fastify.log, or the logger given to pino-http).');
  }
  const level = options.level ?? 'warn';
  return (event) => {
    const fields: Record<string, unknown> = { event: 'jwt_guard.detection', type: event.type, action: event.action, actionFailed: event.actionFailed };
    const facts = event as DetectionEventLike & Partial<Record<(typeof DETECTION_FIELDS)[number], unknown>>;
    for (const name of DETECTION_FIELDS) if (facts[name] !== undefined) fields[name] = facts[name];
    writeLine(logger, level, options.nestKey, fields, `jwt-guard: ${event.type} detected (action ${event.action}${event.actionFailed ? ', failed' : ''})`);
  };
}
