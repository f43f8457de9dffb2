// createApp(deps): the Express application, without listening (tests use supertest / port 0).
// Reads like a table of contents: settings, per-request context, CORS, routes, 405, 404, errors.
import cors from 'cors';
import express, { type Express } from 'express';
import type { AppDeps } from './deps.js';
import { errorHandler, notFound } from './errors.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { requestContext } from './middleware/request-context.js';
import { docsRouter } from './routes/docs.js';
import { healthRouter } from './routes/health.js';
import { itemsRouter } from './routes/items.js';
import { metricsRouter } from './routes/metrics.js';
import { predictRouter } from './routes/predict.js';

export type { AppDeps } from './deps.js';

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs throughput; clients of this API do not revalidate

  app.use(requestContext(deps.metrics, deps.logger));
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(cors({ origin: deps.corsOrigins.includes('*') ? '*' : [...deps.corsOrigins] }));
  }

  // Hot routes first: every router a request passes costs a few path matches.
  const routers = [itemsRouter(deps.items), predictRouter(deps.sentiment), healthRouter(deps), metricsRouter(deps.metrics), docsRouter(deps.info)];
  for (const router of routers) app.use(router);

  app.use(methodNotAllowed(routers));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
