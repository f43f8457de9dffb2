// Migration CLI: `node dist/app/src/migrate.js latest|rollback|status` (npm run migrate*; the
// operator's migration Job runs `latest`). Uses the same configuration as the server and requires a
// configured database (DATABASE_URL or POSTGRES_HOST). Safe to run concurrently: Knex's lock row.
import { ConfigError, loadConfig } from './config.js';
import { createMigrationKnex } from './data/database.js';
import { migrateLatest, migrateRollback, migrationStatus } from './data/migrations.js';
import { createLogger } from './observability/logger.js';

const COMMANDS = ['latest', 'rollback', 'status'] as const;
type Command = (typeof COMMANDS)[number];

async function main(): Promise<number> {
  const command = (process.argv[2] ?? 'latest') as Command;
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`usage: migrate.js ${COMMANDS.join('|')} [--all]\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (!config.db.url) {
    process.stderr.write('No database configured: set DATABASE_URL (or POSTGRES_HOST/USER/PASSWORD/DB/PORT)\n');
    return 1;
  }
  const knex = createMigrationKnex({ ...config.db, url: config.db.url }, config.migration, log);
  const opts = {
    lockRetries: config.migration.lockRetries,
    waitMs: config.migration.waitMs,
    onRetry: (attempt: number, err: Error) => log.warn({ attempt, err: { message: err.message } }, 'migration gave up waiting for a lock; retrying'),
  };
  try {
    if (command === 'latest') {
      const applied = await migrateLatest(knex, opts);
      log.info({ applied }, applied.length ? 'migrations applied' : 'already up to date');
    } else if (command === 'rollback') {
      const reverted = await migrateRollback(knex, process.argv.includes('--all'), opts);
      log.info({ reverted }, reverted.length ? 'migrations rolled back' : 'nothing to roll back');
    } else {
      const status = await migrationStatus(knex);
      log.info(status, 'migration status');
      process.stdout.write(`applied: ${status.applied.join(', ') || '(none)'}\npending: ${status.pending.join(', ') || '(none)'}\n`);
    }
    return 0;
  } catch (err) {
    log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, `migrate ${command} failed`);
    return 1;
  } finally {
    await knex.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
