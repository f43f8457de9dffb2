// One prom-client registry per app instance (tests create several apps in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Route label for requests that matched no route: never the raw path. */
export const UNMATCHED_ROUTE = '__unmatched__';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface MetricsSources {
  /** Current pool occupancy, read at scrape time. */
  poolStats?: () => PoolStats;
  /** Whether the database answers: a recent health check result, else a bounded check at scrape time. */
  dbReachable?: () => Promise<boolean>;
  /** Sentiment batches handed off for scoring (waiting or running), read at scrape time. */
  scoringPending?: () => number;
  /** Log lines dropped because stdout's reader stalled (log-destination.ts), read at scrape time. */
  logLinesDropped?: () => number;
}

export interface Metrics {
  registry: Registry;
  /** Observe once per request: `http_requests_total` is derived from its counts at scrape time. */
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  sentimentPredictions: Counter<'sentiment'>;
  itemsCreated: Counter;
  sentimentWorkerExits: Counter;
  /** Batches refused scoring: queue_full (SCORING_QUEUE_MAX) or deadline (SCORING_DEADLINE_MS). */
  scoringRejections: Counter<'reason'>;
  /** Wire the DB gauges to their sources (done once the database layer exists). */
  attach(sources: MetricsSources): void;
}

/** Buckets of http_request_duration_seconds; an SLO latency threshold is one of them (operator/src/api/defaults.ts). */
export const HTTP_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // includes nodejs_eventloop_lag_* and process_*
  const sources: MetricsSources = {};

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route template',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Modest bucket count: every observation touches each bucket.
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [registry],
  });
  // The same number as the histogram's _count, kept under its conventional name for the alert rules and
  // dashboards. Copied at scrape time rather than incremented per request: a second labelled update on
  // the hot path costs about as much as the observation itself (prom-client hashes the labels each time).
  new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests, by route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const v of (await httpDuration.get()).values) {
        if (v.metricName === 'http_request_duration_seconds_count') this.inc(v.labels, v.value);
      }
    },
  });
  const sentimentPredictions = new Counter({
    name: 'sentiment_predictions_total',
    help: 'Sentiment predictions made (predict endpoints and item writes), by predicted label',
    labelNames: ['sentiment'] as const,
    registers: [registry],
  });
  const itemsCreated = new Counter({
    name: 'items_created_total',
    help: 'Items created',
    registers: [registry],
  });
  const sentimentWorkerExits = new Counter({
    name: 'sentiment_worker_exits_total',
    help: 'Sentiment scoring worker threads that stopped unexpectedly (each is replaced)',
    registers: [registry],
  });
  const scoringRejections = new Counter({
    name: 'sentiment_scoring_rejections_total',
    help: 'Sentiment batches answered 503 instead of scored: queue_full (too many waiting) or deadline (not done in time)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of ['queue_full', 'deadline']) scoringRejections.inc({ reason }, 0);
  new Counter({
    name: 'log_lines_dropped_total',
    help: 'Log lines dropped because stdout was not read fast enough (its buffer was full); see docs/app/logging.md',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.logLinesDropped?.() ?? 0);
    },
  });
  new Gauge({
    name: 'sentiment_scoring_queue_depth',
    help: 'Sentiment batches handed off for scoring now (waiting or being scored); bounded by SCORING_QUEUE_MAX',
    registers: [registry],
    collect() {
      this.set(sources.scoringPending?.() ?? 0);
    },
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections: total (open), idle (open and free), waiting (queued acquires)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = sources.poolStats?.() ?? { total: 0, idle: 0, waiting: 0 };
      this.set({ state: 'total' }, s.total);
      this.set({ state: 'idle' }, s.idle);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
  new Gauge({
    name: 'db_up',
    help: 'Whether the database answered its latest health check (1) or not (0); checked at scrape time only when that is over 15 s old',
    registers: [registry],
    async collect() {
      this.set(sources.dbReachable ? ((await sources.dbReachable()) ? 1 : 0) : 0);
    },
  });

  return {
    registry,
    httpDuration,
    sentimentPredictions,
    itemsCreated,
    sentimentWorkerExits,
    scoringRejections,
    attach(s) {
      Object.assign(sources, s);
    },
  };
}
