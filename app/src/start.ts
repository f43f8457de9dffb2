// Entry point: validate config, get a database (configured, or embedded for local use), apply
// migrations when asked (always for the embedded one), compose the app, listen, shut down gracefully.
import type { Server } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Composition } from './compose.js';
import type { EmbeddedDatabase } from './data/embedded-postgres.js';
import { createLogger, type Logger } from './observability/logger.js';

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
  const log = createLogger(config.logLevel);
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

  const runtime = compose({ db: { ...config.db, url }, logger: log, corsOrigins: config.corsOrigins, healthTimeoutMs: config.healthTimeoutMs });
  if (embedded || config.migrateOnStart) {
    const applied = await migrateLatest(runtime.knex);
    log.info({ applied }, applied.length ? 'migrations applied' : 'migrations up to date');
  }

  const server = createHttpServer(runtime.app);
  server.listen(config.port, config.host, () => {
    const addr = server.address();
    log.info({ address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : addr, embeddedDatabase: Boolean(embedded) }, 'listening');
  });
  server.on('error', (err) => {
    log.fatal({ err }, 'server error');
    process.exit(1);
  });
  // Keep-alive idle sockets must not outlive a load balancer's idle timeout by much.
  server.keepAliveTimeout = 65_000;

  installShutdown(server, runtime, embedded, config.shutdownTimeoutMs, log);
}

/** SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), close the pool, exit 0. */
function installShutdown(server: Server, runtime: Composition, embedded: EmbeddedDatabase | undefined, timeoutMs: number, log: Logger): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, timeoutMs }, 'shutting down: draining in-flight requests');
    const forced = setTimeout(() => {
      log.warn('drain timeout reached: closing remaining connections');
      server.closeAllConnections();
    }, timeoutMs);
    forced.unref();
    // close() stops accepting; keep-alive sockets that go idle after their last response are
    // closed as they do, so draining ends as soon as the in-flight requests are done.
    const reaper = setInterval(() => server.closeIdleConnections(), 100);
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(reaper);
    clearTimeout(forced);
    await runtime.close().catch((err: unknown) => log.warn({ err }, 'closing the database pool failed'));
    if (embedded) await embedded.stop().catch((err: unknown) => log.warn({ err }, 'stopping embedded PostgreSQL failed'));
    log.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Crash-only for the unexpected: state may be corrupt, so log and exit; the orchestrator restarts us.
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection');
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`startup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
