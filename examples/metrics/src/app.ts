import express, { type Express } from 'express';
import pino, { type Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { jwtGuard, requireScope, type ExpressGuardOptions } from '@jwt-guard/express';
import { combineHooks, otelHooks, pinoHooks, prometheusMetrics } from '@jwt-guard/metrics';

export interface MetricsAppOptions {
  /** Where the metrics live. Default: a fresh registry (one per app, so tests do not share counters). */
  registry?: Registry;
  /** Default: pino at `info`, to stdout. */
  logger?: Logger;
  /** Also collect prom-client's default process metrics. Default false. */
  defaultMetrics?: boolean;
}

/**
 * The orders API with observability: one pino line per verification (never the token), jwt-guard
 * counters and a latency histogram on `/metrics`, and span attributes when OpenTelemetry is set up.
 */
export function createApp(guardOptions: ExpressGuardOptions, options: MetricsAppOptions = {}): Express {
  const registry = options.registry ?? new Registry();
  const logger = options.logger ?? pino();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const metrics = prometheusMetrics({ registry });

  const app = express();
  // Public routes come before the guard. In production, expose /metrics on an internal port only.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  app.use(jwtGuard({ ...guardOptions, ...combineHooks(pinoHooks(logger), metrics.hooks, otelHooks()) }));
  app.get('/orders', requireScope('orders:read'), (req, res) => {
    res.json([{ id: 1, item: 'coffee beans', owner: req.auth?.payload.sub }]);
  });
  return app;
}
