// Service status: `/` and `/health` (the lab's), `/livez` and `/readyz` (Kubernetes probes).
// The database probe is bounded, so these answer within ~2 s even when Postgres is unreachable.
import type { IRouter } from 'express';
import type { AppDeps } from '../deps.js';

export function healthRoutes(r: IRouter, deps: Pick<AppDeps, 'database' | 'schema' | 'sentiment' | 'info' | 'readiness'>): void {
  r.get('/', (_req, res) => {
    res.json({ status: 'online', service: deps.info.service, version: deps.info.version });
  });
  r.get('/health', async (_req, res) => {
    const db = await deps.database.ping();
    const model = deps.sentiment.loaded ? 'loaded' : 'not loaded';
    if (db.ok && deps.sentiment.loaded) {
      res.json({ status: 'healthy', database: 'connected', model });
      return;
    }
    res.status(503).json({
      status: 'unhealthy',
      database: db.ok ? 'connected' : 'disconnected',
      model,
      error: db.ok ? 'sentiment model not loaded' : db.error,
    });
  });
  // Liveness: the event loop answers. Deliberately independent of the database.
  r.get('/livez', (_req, res) => {
    res.json({ status: 'alive' });
  });
  r.get('/readyz', async (_req, res) => {
    if (deps.readiness.draining) {
      res.status(503).json({ status: 'not ready', reason: 'shutting down' });
      return;
    }
    const db = await deps.database.ping();
    const schema = db.ok ? await schemaReadiness(deps.schema) : {};
    const ready = db.ok && deps.sentiment.loaded && !schema.missing;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      database: db.ok ? 'connected' : 'disconnected',
      model: deps.sentiment.loaded ? 'loaded' : 'not loaded',
      ...schema,
    });
  });
}

/** The schema part of /readyz: a pod whose database lacks a migration its image ships is not ready. */
async function schemaReadiness(schema: AppDeps['schema']): Promise<{ schema?: string; missing?: string[]; reason?: string }> {
  if (!schema) return {};
  const r = await schema.check();
  if (r.ok) return { schema: 'current' };
  if ('missing' in r) return { schema: 'behind', missing: r.missing, reason: `database lacks migration ${r.missing.join(', ')} of this image: run the pre-deploy migrations` };
  return { schema: 'unknown', missing: [], reason: `schema check failed: ${r.error}` };
}
