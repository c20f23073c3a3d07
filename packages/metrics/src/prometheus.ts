import type { DetectionEventLike, GuardHooks } from './events.js';
import { loadOptional } from './optional.js';
import {
  DEFAULT_FETCH_BUCKETS,
  DEFAULT_LIFETIME_BUCKETS,
  PostureState,
  readKeyEvent,
  readPosture,
  type PostureOptions,
} from './posture.js';

type Labels = Record<string, string>;

/** The part of a prom-client `Counter` we use. */
export interface CounterLike {
  inc(labels: Labels, value?: number): void;
}
/** The part of a prom-client `Histogram` we use. */
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
}
/** The part of a prom-client `Gauge` we use. */
export interface GaugeLike {
  set(labels: Labels, value: number): void;
}
/** The part of a prom-client `Registry` we use. */
export interface RegistryLike {
  getSingleMetric(name: string): unknown;
  metrics(): Promise<string>;
  readonly contentType: string;
}
/**
 * The part of the prom-client module we use (`import client from 'prom-client'`). `registers` is
 * typed `never[]` so that prom-client's own `Registry` type is not needed here.
 */
export interface PromClientLike {
  Counter: new (configuration: { name: string; help: string; labelNames: string[]; registers: never[] }) => CounterLike;
  Histogram: new (configuration: {
    name: string;
    help: string;
    labelNames: string[];
    buckets: number[];
    registers: never[];
  }) => HistogramLike;
  Gauge: new (configuration: { name: string; help: string; labelNames: string[]; registers: never[] }) => GaugeLike;
  register: RegistryLike;
}

export interface PrometheusMetricsOptions extends PostureOptions {
  /** The prom-client module. Default: `prom-client`, loaded from where this package is installed. */
  client?: PromClientLike;
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  registry?: RegistryLike;
  /** Metric name prefix. Default `'jwt_guard_'`. */
  prefix?: string;
  /** Verification time histogram buckets, in seconds. Default from 0.1 ms to 2.5 s. */
  buckets?: number[];
  /** Token lifetime histogram buckets, in seconds. Default 1 min to 1 week ({@link DEFAULT_LIFETIME_BUCKETS}). */
  lifetimeBuckets?: number[];
  /** JWKS fetch time histogram buckets, in seconds. Default 5 ms to 10 s ({@link DEFAULT_FETCH_BUCKETS}). */
  fetchBuckets?: number[];
}

export interface PrometheusMetrics {
  /**
   * Spread into the guard's options: `jwtGuard({ ...options, ...metrics.hooks })` — `onVerified`,
   * `onRejected`, `onKeyEvent` and `onDetection`.
   */
  hooks: GuardHooks & { onKeyEvent: NonNullable<GuardHooks['onKeyEvent']>; onDetection: NonNullable<GuardHooks['onDetection']> };
  /** The detectors' hook (counts `detections_total`): pass it as the guard's `onDetection`. */
  onDetection: (event: DetectionEventLike) => void;
  /** `<prefix>verifications_total{outcome, reason}`: outcome `verified` | `rejected` | `anonymous`; reason `ok` or the error code. */
  verifications: CounterLike;
  /** `<prefix>verification_duration_seconds{outcome}`. */
  duration: HistogramLike;
  /** The registry the metrics live in; serve `await registry.metrics()` with `registry.contentType` on `/metrics`. */
  registry: RegistryLike;
}

export const DEFAULT_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);

/** Label bounds and first-seen times, shared by the metrics of one registry when they are reused. */
const states = new WeakMap<object, PostureState>();

/**
 * prom-client metrics for the guard: verifications by outcome and reason code, verification time,
 * and the issuers' practice as seen in accepted tokens (lifetime, alg and kid in use, how long each
 * kid has been in use, tokens without `jti` / `typ` or living longer than a policy), the key
 * source's health (fetches, failures, stale keys served), and detections. Calling it twice with the
 * same registry reuses the metrics.
 *
 * @example
 * ```ts
 * const metrics = prometheusMetrics();
 * app.use(jwtGuard({ ...options, ...metrics.hooks }));
 * app.get('/metrics', async (_req, res) => res.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
 * ```
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const loaded = options.client ?? loadOptional<PromClientLike>('prom-client');
  if (loaded === undefined) {
    throw new TypeError('prometheusMetrics: prom-client is not installed; run `npm install prom-client` (or pass { client }).');
  }
  const client = loaded;
  const registry = options.registry ?? client.register;
  const prefix = options.prefix ?? 'jwt_guard_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(`${prefix}x`)) throw new TypeError(`prometheusMetrics: ${JSON.stringify(prefix)} is not a valid metric name prefix.`);
  const registers = [registry as never];

  function counter(name: string, help: string, labelNames: string[]): CounterLike {
    return (registry.getSingleMetric(prefix + name) as CounterLike | undefined) ?? new client.Counter({ name: prefix + name, help, labelNames, registers });
  }
  function histogram(name: string, help: string, labelNames: string[], buckets: readonly number[]): HistogramLike {
    return (
      (registry.getSingleMetric(prefix + name) as HistogramLike | undefined) ??
      new client.Histogram({ name: prefix + name, help, labelNames, buckets: [...buckets], registers })
    );
  }
  function gauge(name: string, help: string, labelNames: string[]): GaugeLike {
    return (registry.getSingleMetric(prefix + name) as GaugeLike | undefined) ?? new client.Gauge({ name: prefix + name, help, labelNames, registers });
  }

  const verifications = counter(
    'verifications_total',
    'Bearer token verifications by outcome (verified, rejected, anonymous) and reason (ok or the jwt-guard error code).',
    ['outcome', 'reason'],
  );
  const duration = histogram('verification_duration_seconds', 'Time spent verifying a bearer token, in seconds.', ['outcome'], options.buckets ?? DEFAULT_DURATION_BUCKETS);
  const lifetime = histogram(
    'token_lifetime_seconds',
    'Lifetime (exp - iat) of accepted tokens that have both claims, in seconds, by issuer.',
    ['iss'],
    options.lifetimeBuckets ?? DEFAULT_LIFETIME_BUCKETS,
  );
  const verified = counter('tokens_verified_total', "Accepted tokens by issuer, algorithm and key id (kid '' when the header has none).", ['iss', 'alg', 'kid']);
  const firstSeen = gauge(
    'key_first_seen_timestamp_seconds',
    'Unix time at which this process first accepted a token signed with this key id: an old value is a key that was never rotated.',
    ['iss', 'kid'],
  );
  const withoutJti = counter('tokens_without_jti_total', 'Accepted tokens without a jti claim (they cannot be revoked one by one), by issuer.', ['iss']);
  const withoutTyp = counter('tokens_without_typ_total', 'Accepted tokens without a typ header, by issuer.', ['iss']);
  const overPolicy = counter('tokens_over_lifetime_policy_total', 'Accepted tokens living longer than the maxTokenLifetime policy, by issuer.', ['iss']);
  const keyEvents = counter('key_source_events_total', 'Key source events (keys_fetched, keys_fetch_failed, stale_keys_served, unknown_kid, …) by type and key source URL.', ['type', 'url']);
  const fetchDuration = histogram('jwks_fetch_duration_seconds', 'Time of JWKS fetches, in seconds, by outcome (fetched, failed).', ['outcome'], options.fetchBuckets ?? DEFAULT_FETCH_BUCKETS);
  const failures = gauge('key_source_consecutive_failures', 'Consecutive failed fetches of a key source (0 after a successful fetch).', ['url']);
  const detections = counter('detections_total', 'Unusual activity detected (token_shared, forgery_probe), by the response taken and whether it failed.', ['detector', 'action', 'failed']);

  let state = states.get(verifications);
  if (state === undefined) {
    state = new PostureState(options, 'prometheusMetrics');
    states.set(verifications, state);
  }
  const posture = state;

  const hooks: PrometheusMetrics['hooks'] = {
    onVerified(event) {
      verifications.inc({ outcome: 'verified', reason: 'ok' });
      duration.observe({ outcome: 'verified' }, event.durationMs / 1000);
      const token = readPosture(posture, event, Date.now() / 1000);
      verified.inc({ iss: token.iss, alg: token.alg, kid: token.kid });
      if (token.lifetimeSeconds !== undefined) lifetime.observe({ iss: token.iss }, token.lifetimeSeconds);
      if (token.firstSeenSeconds !== undefined) firstSeen.set({ iss: token.iss, kid: token.kid }, token.firstSeenSeconds);
      if (token.withoutJti) withoutJti.inc({ iss: token.iss });
      if (token.withoutTyp) withoutTyp.inc({ iss: token.iss });
      if (token.overLifetimePolicy) overPolicy.inc({ iss: token.iss });
    },
    onRejected(event) {
      const outcome = event.passedAsAnonymous ? 'anonymous' : 'rejected';
      verifications.inc({ outcome, reason: event.code });
      duration.observe({ outcome }, event.durationMs / 1000);
    },
    onKeyEvent(event) {
      const reading = readKeyEvent(posture, event);
      keyEvents.inc({ type: reading.type, url: reading.url });
      if (reading.fetch !== undefined) fetchDuration.observe({ outcome: reading.fetch.outcome }, reading.fetch.seconds);
      if (reading.consecutiveFailures !== undefined) failures.set({ url: reading.url }, reading.consecutiveFailures);
    },
    onDetection(event: DetectionEventLike) {
      detections.inc({ detector: event.type, action: event.action, failed: event.actionFailed ? 'true' : 'false' });
    },
  };
  return { hooks, onDetection: hooks.onDetection, verifications, duration, registry };
}
