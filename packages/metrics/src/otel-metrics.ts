import type { DetectionEventLike, GuardHooks } from './events.js';
import { loadOptional } from './optional.js';
import { DEFAULT_FETCH_BUCKETS, DEFAULT_LIFETIME_BUCKETS, PostureState, readKeyEvent, readPosture, type PostureOptions } from './posture.js';
import { DEFAULT_DURATION_BUCKETS } from './prometheus.js';

type Attributes = Record<string, string>;

/** The part of an OpenTelemetry `Counter` we use. */
export interface OtelCounterLike {
  add(value: number, attributes?: Attributes): void;
}
/** The part of an OpenTelemetry `Histogram` we use. */
export interface OtelHistogramLike {
  record(value: number, attributes?: Attributes): void;
}
/** The part of an OpenTelemetry `ObservableResult` we use. */
export interface OtelObservableResultLike {
  observe(value: number, attributes?: Attributes): void;
}
/** The part of an OpenTelemetry `ObservableGauge` we use. */
export interface OtelObservableGaugeLike {
  addCallback(callback: (result: OtelObservableResultLike) => void): void;
}
/** What an instrument is created with: `advice.explicitBucketBoundaries` sets a histogram's buckets (API ≥ 1.7; ignored before). */
export interface OtelInstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}
/** The part of an OpenTelemetry `Meter` we use. */
export interface MeterLike {
  createCounter(name: string, options?: OtelInstrumentOptions): OtelCounterLike;
  createHistogram(name: string, options?: OtelInstrumentOptions): OtelHistogramLike;
  createObservableGauge(name: string, options?: OtelInstrumentOptions): OtelObservableGaugeLike;
}
/** The part of `@opentelemetry/api` we use for metrics. */
export interface OtelMetricsApiLike {
  metrics: { getMeter(name: string, version?: string): MeterLike };
}

export interface OtelMetricsOptions extends PostureOptions {
  /** The meter to create the instruments on. Default: `metrics.getMeter('@jwt-guard/metrics')` from `api`. */
  meter?: MeterLike;
  /**
   * The `@opentelemetry/api` module. Default: loaded if installed. Without it (and without `meter`)
   * the hooks do nothing; with it but no SDK registered, the API's no-op meter drops the values.
   */
  api?: OtelMetricsApiLike;
  /** Instrument name prefix. Default `'jwt_guard_'`. */
  prefix?: string;
  /** Verification time histogram buckets, in seconds. Default from 0.1 ms to 2.5 s. */
  buckets?: number[];
  /** Token lifetime histogram buckets, in seconds. Default 1 min to 1 week. */
  lifetimeBuckets?: number[];
  /** JWKS fetch time histogram buckets, in seconds. Default 5 ms to 10 s. */
  fetchBuckets?: number[];
}

export interface OtelMetrics {
  /** Spread into the guard's options: `jwtGuard({ ...options, ...metrics.hooks })` — `onVerified`, `onRejected`, `onKeyEvent`, `onDetection`. */
  hooks: GuardHooks & { onKeyEvent: NonNullable<GuardHooks['onKeyEvent']>; onDetection: NonNullable<GuardHooks['onDetection']> };
  /** The detectors' hook (counts `detections`): pass it as the guard's `onDetection`. */
  onDetection: (event: DetectionEventLike) => void;
}

/**
 * The instruments of {@link prometheusMetrics}, through the OpenTelemetry metrics API, as hooks.
 * Names are the Prometheus names without the `_total` and `_seconds` suffixes, with unit `s` where
 * they are seconds (`jwt_guard_verifications`, `jwt_guard_token_lifetime`, …), so that an exporter
 * that appends the unit and `_total` (as OpenTelemetry's Prometheus exporter does) gives the names
 * the shipped alert rules use. The two gauges (`key_first_seen_timestamp`, `key_source_consecutive_failures`)
 * are observable: read at each collection.
 *
 * @example
 * ```ts
 * const metrics = otelMetrics(); // after the OpenTelemetry SDK has registered its MeterProvider
 * app.use(jwtGuard({ ...options, ...metrics.hooks }));
 * ```
 */
export function otelMetrics(options: OtelMetricsOptions = {}): OtelMetrics {
  const state = new PostureState(options, 'otelMetrics');
  const meter = options.meter ?? (options.api ?? loadOptional<OtelMetricsApiLike>('@opentelemetry/api'))?.metrics.getMeter('@jwt-guard/metrics');
  if (meter === undefined) {
    const nothing = () => undefined;
    return { hooks: { onVerified: nothing, onRejected: nothing, onKeyEvent: nothing, onDetection: nothing }, onDetection: nothing };
  }
  const prefix = options.prefix ?? 'jwt_guard_';
  const counter = (name: string, description: string) => meter.createCounter(prefix + name, { description });
  const histogram = (name: string, description: string, buckets: readonly number[]) =>
    meter.createHistogram(prefix + name, { description, unit: 's', advice: { explicitBucketBoundaries: [...buckets] } });

  const verifications = counter('verifications', 'Bearer token verifications by outcome (verified, rejected, anonymous) and reason (ok or the jwt-guard error code).');
  const duration = histogram('verification_duration', 'Time spent verifying a bearer token.', options.buckets ?? DEFAULT_DURATION_BUCKETS);
  const lifetime = histogram('token_lifetime', 'Lifetime (exp - iat) of accepted tokens that have both claims, by issuer.', options.lifetimeBuckets ?? DEFAULT_LIFETIME_BUCKETS);
  const verified = counter('tokens_verified', "Accepted tokens by issuer, algorithm and key id (kid '' when the header has none).");
  const withoutJti = counter('tokens_without_jti', 'Accepted tokens without a jti claim, by issuer.');
  const withoutTyp = counter('tokens_without_typ', 'Accepted tokens without a typ header, by issuer.');
  const overPolicy = counter('tokens_over_lifetime_policy', 'Accepted tokens living longer than the maxTokenLifetime policy, by issuer.');
  const keyEvents = counter('key_source_events', 'Key source events by type and key source URL.');
  const fetchDuration = histogram('jwks_fetch_duration', 'Time of JWKS fetches, by outcome (fetched, failed).', options.fetchBuckets ?? DEFAULT_FETCH_BUCKETS);
  const detections = counter('detections', 'Unusual activity detected (token_shared, forgery_probe), by the response taken and whether it failed.');
  meter
    .createObservableGauge(`${prefix}key_first_seen_timestamp`, {
      description: 'Unix time at which this process first accepted a token signed with this key id.',
      unit: 's',
    })
    .addCallback((result) => {
      for (const { iss, kid, seconds } of state.firstSeen.values()) result.observe(seconds, { iss, kid });
    });
  meter
    .createObservableGauge(`${prefix}key_source_consecutive_failures`, { description: 'Consecutive failed fetches of a key source (0 after a successful fetch).' })
    .addCallback((result) => {
      for (const [url, failures] of state.consecutiveFailures) result.observe(failures, { url });
    });

  const onDetection = (event: DetectionEventLike): void => {
    detections.add(1, { detector: event.type, action: event.action, failed: event.actionFailed ? 'true' : 'false' });
  };
  return {
    onDetection,
    hooks: {
      onDetection,
      onVerified(event) {
        verifications.add(1, { outcome: 'verified', reason: 'ok' });
        duration.record(event.durationMs / 1000, { outcome: 'verified' });
        const token = readPosture(state, event, Date.now() / 1000);
        verified.add(1, { iss: token.iss, alg: token.alg, kid: token.kid });
        if (token.lifetimeSeconds !== undefined) lifetime.record(token.lifetimeSeconds, { iss: token.iss });
        if (token.withoutJti) withoutJti.add(1, { iss: token.iss });
        if (token.withoutTyp) withoutTyp.add(1, { iss: token.iss });
        if (token.overLifetimePolicy) overPolicy.add(1, { iss: token.iss });
      },
      onRejected(event) {
        const outcome = event.passedAsAnonymous ? 'anonymous' : 'rejected';
        verifications.add(1, { outcome, reason: event.code });
        duration.record(event.durationMs / 1000, { outcome });
      },
      onKeyEvent(event) {
        const reading = readKeyEvent(state, event);
        keyEvents.add(1, { type: reading.type, url: reading.url });
        if (reading.fetch !== undefined) fetchDuration.record(reading.fetch.seconds, { outcome: reading.fetch.outcome });
      },
    },
  };
}
