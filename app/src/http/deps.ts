// What the HTTP layer needs from the rest of the app: use cases and probes, never I/O details.
import type { ItemsService } from '../domain/items.js';
import type { SentimentService } from '../domain/sentiment/service.js';
import type { Logger } from '../observability/logger.js';
import type { Readiness } from './readiness.js';
import type { Metrics } from '../observability/metrics.js';

export type PingResult = { ok: true } | { ok: false; error: string };

/** Whether the database has every pre-deploy migration the image ships (data/schema-check.ts). */
export type SchemaResult = { ok: true } | { ok: false; missing: string[] } | { ok: false; error: string };

export interface AppDeps {
  items: ItemsService;
  sentiment: SentimentService;
  /** Database probe for /health and /readyz: must answer within its own bounded time. */
  database: { ping(): Promise<PingResult> };
  /** Schema probe for /readyz: cached, bounded. Absent: the schema is not checked. */
  schema?: { check(): Promise<SchemaResult> };
  metrics: Metrics;
  /** Draining (shutting down): /readyz answers 503 without asking the database. */
  readiness: Readiness;
  logger: Logger;
  info: { service: string; version: string };
  /** Allowed CORS origins; empty or absent disables CORS. */
  corsOrigins?: readonly string[];
}
