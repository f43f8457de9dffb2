// Prometheus exposition of the app's one registry.
import type { IRouter } from 'express';
import type { Metrics } from '../../observability/metrics.js';

export function metricsRoutes(r: IRouter, metrics: Metrics): void {
  r.get('/metrics', async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(body);
  });
}
