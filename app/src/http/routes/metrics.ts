// Prometheus exposition of the app's one registry.
import { Router } from 'express';
import type { Metrics } from '../../observability/metrics.js';

export function metricsRouter(metrics: Metrics): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(body);
  });
  return r;
}
