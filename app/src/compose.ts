// Builds the object graph: database (pool + Knex) -> repository -> use cases -> HTTP app, plus metrics sources.
// Shared by start.ts and the tests, so both run exactly the same wiring.
import { existsSync, readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import path from 'node:path';
import type { Express } from 'express';
import type { Knex } from 'knex';
import type { DatabaseConfig } from './config.js';
import type { MigrationEntry } from './data/migration-entry.js';
import { KnexItemsRepository } from './data/items-repository.js';
import { HealthProbe } from './data/health-probe.js';
import { appliedMigrationNames, requiredMigrations, SchemaCheck } from './data/schema-check.js';
import { migrations } from '../migrations/index.js';
import { createDatabase, pingDatabase } from './data/database.js';
import { ItemsService } from './domain/items.js';
import { createSentimentModel } from './domain/sentiment/model.js';
import { ScoringPool } from './domain/sentiment/pool.js';
import { SentimentService, type ScoringLimits } from './domain/sentiment/service.js';
import type { DomainObserver, SentimentModel } from './domain/types.js';
import { createApp } from './http/app.js';
import { TokenVerifier } from './http/auth/verifier.js';
import { metricsListener } from './http/metrics-server.js';
import type { AccessDeps } from './http/middleware/access.js';
import { Readiness } from './http/readiness.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import type { AuthConfig, RateLimitConfig } from './security-config.js';

export const SERVICE_NAME = 'fastapiapp';

/** db_up reuses a health check result up to this old (a typical scrape interval). */
export const DB_UP_MAX_AGE_MS = 15_000;

export interface ComposeOptions {
  db: DatabaseConfig & { url: string };
  logger: Logger;
  corsOrigins?: readonly string[];
  healthTimeoutMs?: number;
  /** Injected in tests (e.g. a model that failed to load); default: the bundled model. */
  loadModel?: () => SentimentModel;
  /** Worker threads scoring long texts (config SENTIMENT_WORKERS); default 0: on the event loop, in slices. */
  sentimentWorkers?: number;
  /** The migrations the image ships (readiness requires their pre-deploy ones); default: app/migrations. */
  migrations?: readonly MigrationEntry[];
  /** The compiled worker entry; default: worker.js beside this file's build (absent when run from TypeScript sources). */
  sentimentWorkerFile?: string;
  /** Bearer tokens for writes (and reads/predict when required); absent: open (logged loudly). */
  auth?: AuthConfig;
  /** Per-client limits; absent: unlimited. */
  rateLimit?: RateLimitConfig;
  /** Bounds on handed-off scoring work; default generous (DEFAULT_SCORING_LIMITS). */
  scoring?: ScoringLimits;
  /** Log lines the log destination dropped (its reader stalled): exported as log_lines_dropped_total. */
  logLinesDropped?: () => number;
}

export interface Composition {
  app: Express;
  /** Serves /metrics only: listened on METRICS_PORT, never on the public port. */
  metricsApp: RequestListener;
  knex: Knex;
  metrics: Metrics;
  sentiment: SentimentService;
  /** The worker threads scoring long texts, when SENTIMENT_WORKERS > 0. */
  scoringPool?: ScoringPool;
  /** Drained on shutdown: /readyz turns 503. */
  readiness: Readiness;
  /** Scores adopted lab rows that have no sentiment, in batches (start.ts runs it after listening; background.ts). */
  backfillSentiment(batchSize?: number, signal?: AbortSignal): Promise<number>;
  /** Closes the database pool and terminates the scoring workers. */
  close(): Promise<void>;
}

/** The version in the nearest package.json above this file (works from src/ and dist/). */
export function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  }
  return '0.0.0';
}

/** The scoring pool, or none (0 workers, or no model to score with). Fails fast on a missing worker build. */
function startScoringPool(size: number, file: string, log: Logger, metrics: Metrics): ScoringPool | undefined {
  if (size === 0) return undefined;
  if (!existsSync(file)) throw new Error(`SENTIMENT_WORKERS=${size} needs the compiled worker ${file} (build with tsc, or set SENTIMENT_WORKERS=0)`);
  return new ScoringPool({
    size,
    file,
    onWorkerExit: ({ exitCode, busy, error }) => {
      metrics.sentimentWorkerExits.inc();
      log.error({ exitCode, busy, err: error }, 'sentiment worker stopped: replacing it');
    },
  });
}

function loadSentiment(load: () => SentimentModel, log: Logger): SentimentModel | undefined {
  try {
    const model = load();
    log.info({ model: model.info.name, version: model.info.version, loadMs: model.info.load_time_ms }, 'sentiment model loaded');
    return model;
  } catch (err) {
    // Keep serving items and health: predictions answer 503 and /health reports the model.
    log.error({ err }, 'sentiment model failed to load');
    return undefined;
  }
}

function accessDeps(opts: ComposeOptions, log: Logger): AccessDeps {
  if (opts.auth) {
    const { issuer, audience, reads, predict } = opts.auth;
    log.info({ issuer, audience, reads, predict }, 'auth: bearer tokens required for item writes');
  } else {
    log.warn('auth: AUTH_ISSUER is not set, so the API is OPEN: anyone who reaches it can create, change and delete every item');
  }
  return {
    ...(opts.auth ? { auth: { config: opts.auth, verifier: new TokenVerifier(opts.auth, log) } } : {}),
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
  };
}

export function compose(opts: ComposeOptions): Composition {
  const log = opts.logger;
  const metrics = createMetrics();
  const db = createDatabase(opts.db, log);
  const healthTimeoutMs = opts.healthTimeoutMs ?? 1500;
  const observer: DomainObserver = {
    itemCreated: () => metrics.itemsCreated.inc(),
    predicted: (label) => metrics.sentimentPredictions.inc({ sentiment: label }),
    scoringRejected: (reason) => metrics.scoringRejections.inc({ reason }),
  };
  const model = loadSentiment(opts.loadModel ?? (() => createSentimentModel()), log);
  const workerFile = opts.sentimentWorkerFile ?? path.join(__dirname, 'domain/sentiment/worker.js');
  const scoringPool = model ? startScoringPool(opts.sentimentWorkers ?? 0, workerFile, log, metrics) : undefined;
  const sentiment = new SentimentService(model, observer, scoringPool, opts.scoring);
  const items = new ItemsService(new KnexItemsRepository(db), sentiment, observer);
  const probe = new HealthProbe(() => pingDatabase(db.probePool, healthTimeoutMs)); // its own connection: never queued behind requests
  const database = { ping: () => probe.check() };
  // the schema check reads on the probe connection too: a saturated serving pool must not turn the pod unready
  const schema = new SchemaCheck(appliedMigrationNames(db.probePool, healthTimeoutMs), requiredMigrations(opts.migrations ?? migrations));
  metrics.attach({ poolStats: db.stats, dbReachable: async () => (await probe.recent(DB_UP_MAX_AGE_MS)).ok, scoringPending: () => sentiment.pending, logLinesDropped: opts.logLinesDropped });
  const readiness = new Readiness();
  const app = createApp({
    items,
    readiness,
    sentiment,
    database,
    schema,
    metrics,
    logger: log,
    info: { service: SERVICE_NAME, version: packageVersion() },
    corsOrigins: opts.corsOrigins,
    access: accessDeps(opts, log),
  });
  return {
    app,
    metricsApp: metricsListener(metrics),
    knex: db.knex,
    metrics,
    sentiment,
    scoringPool,
    readiness,
    backfillSentiment: (batchSize, signal) => items.backfillSentiment(batchSize, signal),
    close: async () => {
      const workers = scoringPool?.threads.length ?? 0;
      const stopWorkers = scoringPool?.close().then(() => log.info({ workers }, 'sentiment workers terminated'));
      await Promise.all([db.close(), stopWorkers]);
    },
  };
}
