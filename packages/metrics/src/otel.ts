import type { GuardHooks } from './events.js';
import { loadOptional } from './optional.js';

type AttributeValue = string | number | boolean;

/** The part of an OpenTelemetry `Span` we use. */
export interface SpanLike {
  setAttributes(attributes: Record<string, AttributeValue>): unknown;
  isRecording?(): boolean;
}
/** The part of `@opentelemetry/api` we use. */
export interface OtelApiLike {
  trace: { getActiveSpan(): SpanLike | undefined };
}

export interface OtelHooksOptions {
  /** The `@opentelemetry/api` module. Default: loaded if installed; without it the hooks do nothing. */
  api?: OtelApiLike;
  /** Set `enduser.id` to the token's `sub`. Default true; turn off if `sub` is personal data you must not export. */
  setEndUserId?: boolean;
}

/**
 * Hooks that annotate the active (request) span: `jwt_guard.outcome`, `jwt_guard.reason`,
 * `jwt_guard.alg`, `jwt_guard.kid`, `jwt_guard.duration_ms`, `enduser.id` (the `sub`), and
 * `enduser.scope`. When `@opentelemetry/api` is not installed, or no span is active, they do nothing.
 *
 * @example
 * ```ts
 * app.use(jwtGuard({ ...options, ...otelHooks() }));
 * ```
 */
export function otelHooks(options: OtelHooksOptions = {}): GuardHooks {
  const api = options.api ?? loadOptional<OtelApiLike>('@opentelemetry/api');
  const setEndUserId = options.setEndUserId ?? true;

  function annotate(attributes: Record<string, AttributeValue | undefined>): void {
    const span = api?.trace.getActiveSpan();
    if (span === undefined || (span.isRecording !== undefined && !span.isRecording())) return;
    const defined: Record<string, AttributeValue> = {};
    for (const [name, value] of Object.entries(attributes)) if (value !== undefined) defined[name] = value;
    span.setAttributes(defined);
  }

  return {
    onVerified(event) {
      const { payload, header } = event;
      annotate({
        'jwt_guard.outcome': 'verified',
        'jwt_guard.alg': typeof header.alg === 'string' ? header.alg : undefined,
        'jwt_guard.kid': typeof header.kid === 'string' ? header.kid : undefined,
        'jwt_guard.duration_ms': event.durationMs,
        'enduser.id': setEndUserId && typeof payload.sub === 'string' ? payload.sub : undefined,
        'enduser.scope': event.scopes.size > 0 ? [...event.scopes].join(' ') : undefined,
      });
    },
    onRejected(event) {
      annotate({
        'jwt_guard.outcome': event.passedAsAnonymous ? 'anonymous' : 'rejected',
        'jwt_guard.reason': event.code,
        'jwt_guard.duration_ms': event.durationMs,
      });
    },
  };
}
