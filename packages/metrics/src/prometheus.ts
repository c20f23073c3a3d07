import type { GuardHooks } from './events.js';
import { loadOptional } from './optional.js';

type Labels = Record<string, string>;

/** The part of a prom-client `Counter` we use. */
export interface CounterLike {
  inc(labels: Labels, value?: number): void;
}
/** The part of a prom-client `Histogram` we use. */
export interface HistogramLike {
  observe(labels: Labels, value: number): void;
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
  register: RegistryLike;
}

export interface PrometheusMetricsOptions {
  /** The prom-client module. Default: `prom-client`, loaded from where this package is installed. */
  client?: PromClientLike;
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  registry?: RegistryLike;
  /** Metric name prefix. Default `'jwt_guard_'`. */
  prefix?: string;
  /** Histogram buckets, in seconds. Default from 0.1 ms to 2.5 s. */
  buckets?: number[];
}

export interface PrometheusMetrics {
  /** Spread into the guard's options: `jwtGuard({ ...options, ...metrics.hooks })`. */
  hooks: GuardHooks;
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

/**
 * prom-client metrics for the guard: a counter of verifications by outcome and reason code, and a
 * histogram of verification time. Calling it twice with the same registry reuses the metrics.
 *
 * @example
 * ```ts
 * const metrics = prometheusMetrics();
 * app.use(jwtGuard({ ...options, ...metrics.hooks }));
 * app.get('/metrics', async (_req, res) => res.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
 * ```
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const client = options.client ?? loadOptional<PromClientLike>('prom-client');
  if (client === undefined) {
    throw new TypeError('prometheusMetrics: prom-client is not installed; run `npm install prom-client` (or pass { client }).');
  }
  const registry = options.registry ?? client.register;
  const prefix = options.prefix ?? 'jwt_guard_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(`${prefix}x`)) throw new TypeError(`prometheusMetrics: ${JSON.stringify(prefix)} is not a valid metric name prefix.`);

  const counterName = `${prefix}verifications_total`;
  const histogramName = `${prefix}verification_duration_seconds`;
  const verifications =
    (registry.getSingleMetric(counterName) as CounterLike | undefined) ??
    new client.Counter({
      name: counterName,
      help: 'Bearer token verifications by outcome (verified, rejected, anonymous) and reason (ok or the jwt-guard error code).',
      labelNames: ['outcome', 'reason'],
      registers: [registry as never],
    });
  const duration =
    (registry.getSingleMetric(histogramName) as HistogramLike | undefined) ??
    new client.Histogram({
      name: histogramName,
      help: 'Time spent verifying a bearer token, in seconds.',
      labelNames: ['outcome'],
      buckets: [...(options.buckets ?? DEFAULT_DURATION_BUCKETS)],
      registers: [registry as never],
    });

  const hooks: GuardHooks = {
    onVerified(event) {
      verifications.inc({ outcome: 'verified', reason: 'ok' });
      duration.observe({ outcome: 'verified' }, event.durationMs / 1000);
    },
    onRejected(event) {
      const outcome = event.passedAsAnonymous ? 'anonymous' : 'rejected';
      verifications.inc({ outcome, reason: event.code });
      duration.observe({ outcome }, event.durationMs / 1000);
    },
  };
  return { hooks, verifications, duration, registry };
}
