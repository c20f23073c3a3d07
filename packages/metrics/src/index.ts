export {
  combineHooks,
  pathOf,
  rejectedFields,
  verifiedFields,
  type DetectionEventLike,
  type GuardHooks,
  type VerificationLogFields,
} from './events.js';
export {
  pinoDetectionHook,
  pinoHooks,
  type LogMethod,
  type PinoDetectionHookOptions,
  type PinoHooksOptions,
  type PinoLevel,
  type PinoLikeLogger,
} from './pino.js';
export {
  prometheusMetrics,
  DEFAULT_DURATION_BUCKETS,
  type CounterLike,
  type GaugeLike,
  type HistogramLike,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
  type PromClientLike,
  type RegistryLike,
} from './prometheus.js';
export { DEFAULT_FETCH_BUCKETS, DEFAULT_LIFETIME_BUCKETS, OTHER_LABEL_VALUE, type PostureOptions } from './posture.js';
export { otelHooks, type OtelApiLike, type OtelHooksOptions, type SpanLike } from './otel.js';
export {
  otelMetrics,
  type MeterLike,
  type OtelCounterLike,
  type OtelHistogramLike,
  type OtelInstrumentOptions,
  type OtelMetrics,
  type OtelMetricsApiLike,
  type OtelMetricsOptions,
  type OtelObservableGaugeLike,
  type OtelObservableResultLike,
} from './otel-metrics.js';
