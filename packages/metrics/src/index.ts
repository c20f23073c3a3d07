export {
  combineHooks,
  pathOf,
  rejectedFields,
  verifiedFields,
  type GuardHooks,
  type VerificationLogFields,
} from './events.js';
export { pinoHooks, type LogMethod, type PinoHooksOptions, type PinoLevel, type PinoLikeLogger } from './pino.js';
export {
  prometheusMetrics,
  DEFAULT_DURATION_BUCKETS,
  type CounterLike,
  type HistogramLike,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
  type PromClientLike,
  type RegistryLike,
} from './prometheus.js';
export { otelHooks, type OtelApiLike, type OtelHooksOptions, type SpanLike } from './otel.js';
