// Entry point: validate config, get a database (configured, or embedded for local use), apply
// migrations when asked (always for the embedded one), compose the app, listen, shut down gracefully
// (shutdown.ts: not ready at once, keep serving SHUTDOWN_DELAY_MS, drain, exit 0).
import http from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { EmbeddedDatabase } from './data/embedded-postgres.js';
import { lineBatchingDestination } from './observability/log-destination.js';
import { createLogger, type Logger } from './observability/logger.js';
import { startSentimentBackfill, type BackgroundTask } from './background.js';
import { installShutdown } from './shutdown.js';

/** The sentiment backfill tries again this long after a failure (database away, scoring queue full). */
const BACKFILL_RETRY_MS = 5000;

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  // stdout, never blocking: a stalled reader costs dropped (counted) lines, not a stalled server.
  const logOutput = lineBatchingDestination(1, { maxBufferedBytes: config.logBufferBytes });
  const log = createLogger(config.logLevel, logOutput);
  // Loaded after the configuration is known good: a bad variable fails in milliseconds.
  const { compose } = await import('./compose.js');
  const { startEmbeddedPostgres } = await import('./data/embedded-postgres.js');
  const { migrateLatest } = await import('./data/migrations.js');
  const { createHttpServer } = await import('./http/server.js');

  let embedded: EmbeddedDatabase | undefined;
  let url = config.db.url;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres(config.embedded, log);
    url = embedded.url;
  }

  const runtime = compose({ db: { ...config.db, url }, logger: log, corsOrigins: config.corsOrigins, healthTimeoutMs: config.healthTimeoutMs, sentimentWorkers: config.sentimentWorkers,
    auth: config.security.auth, rateLimit: config.security.rateLimit, scoring: config.security.scoring,
    logLinesDropped: () => logOutput.droppedLines });
  if (embedded || config.migrateOnStart) {
    // Its own pool: no serving statement timeout, a lock_timeout, retries (config.migration).
    const { createMigrationKnex } = await import('./data/database.js');
    const mk = createMigrationKnex({ ...config.db, url }, config.migration, log);
    const applied = await migrateLatest(mk, {
      lockRetries: config.migration.lockRetries,
      waitMs: config.migration.waitMs,
      onRetry: (attempt, err) => log.warn({ attempt, err: { message: err.message } }, 'migration gave up waiting for a lock; retrying'),
    }).finally(() => mk.destroy());
    log.info({ applied }, applied.length ? 'migrations applied' : 'migrations up to date');
  }

  const server = createHttpServer(runtime.app);
  let backfill: BackgroundTask | undefined;
  server.listen(config.port, config.host, () => {
    const addr = server.address();
    log.info({ address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : addr, embeddedDatabase: Boolean(embedded) }, 'listening');
    // Rows adopted from the lab get their sentiment while we serve (nothing to do on later starts).
    if (config.sentimentBackfill.enabled && runtime.sentiment.loaded) {
      backfill = startSentimentBackfill(runtime.backfillSentiment, { batchSize: config.sentimentBackfill.batchSize, retryMs: BACKFILL_RETRY_MS }, log);
    }
  });
  server.on('error', (err) => {
    log.fatal({ err }, 'server error');
    process.exit(1);
  });
  // Keep-alive idle sockets must not outlive a load balancer's idle timeout by much.
  server.keepAliveTimeout = 65_000;
  // /metrics only, on its own port: the Service's public port never exposes it.
  const metricsServer = http.createServer(runtime.metricsApp);
  metricsServer.listen(config.security.metricsPort, config.host, () => {
    const addr = metricsServer.address();
    log.info({ address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : addr }, 'metrics listening');
  });
  metricsServer.on('error', (err) => {
    log.fatal({ err }, 'metrics server error');
    process.exit(1);
  });
  metricsServer.unref(); // the app server's lifetime decides the process's

  installCrashHandlers(log);
  installShutdown({
    server,
    readiness: runtime.readiness,
    delayMs: config.shutdownDelayMs,
    timeoutMs: config.shutdownTimeoutMs,
    log,
    stopBackground: async () => backfill?.stop(),
    async close() {
      await runtime.close().catch((err: unknown) => log.warn({ err }, 'closing the database pool or the sentiment workers failed'));
      if (embedded) await embedded.stop().catch((err: unknown) => log.warn({ err }, 'stopping embedded PostgreSQL failed'));
    },
  });
}

/**
 * Crash-only for the unexpected: state may be corrupt, so log and exit; the orchestrator restarts
 * us. A rejection nobody handled is such a case too (a lost error, a request left hanging). The
 * fatal line is written before the exit (the log destination flushes on 'exit').
 */
function installCrashHandlers(log: Logger): void {
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled promise rejection: exiting');
    process.exit(1);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`startup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
