// createApp(deps): the Express application, without listening (tests use supertest / port 0).
// Reads like a table of contents: settings, per-request context, security headers, CORS, API version,
// access control (tokens, rate limits), routes, 405, 404, errors. /metrics is not here: metrics-server.ts.
import cors from 'cors';
import express, { type Express } from 'express';
import { withSecurity } from './auth/openapi-security.js';
import type { AppDeps } from './deps.js';
import { errorHandler, notFound } from './errors.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { accessControl } from './middleware/access.js';
import { securityHeaders } from './middleware/security-headers.js';
import { apiVersion } from './middleware/api-version.js';
import { requestContext } from './middleware/request-context.js';
import { openApiDocument } from './openapi.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { itemsRoutes } from './routes/items.js';
import { predictRoutes } from './routes/predict.js';

export type { AppDeps } from './deps.js';

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every body costs throughput; items carry their version as ETag (conditional.ts)

  app.use(requestContext(deps.metrics, deps.logger));
  app.use(securityHeaders());
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(cors({ origin: deps.corsOrigins.includes('*') ? '*' : [...deps.corsOrigins] }));
  }

  app.use(apiVersion);
  accessControl(app, deps.access ?? {});

  // Routes on the app's own router, hot ones first (each route a request passes costs a path
  // match); a sub-router per module would add a whole router dispatch to every request.
  itemsRoutes(app, deps.items);
  predictRoutes(app, deps.sentiment);
  healthRoutes(app, deps);
  docsRoutes(app, withSecurity(openApiDocument(deps.info) as Parameters<typeof withSecurity>[0], deps.access ?? {}));

  app.use(methodNotAllowed(app.router));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
