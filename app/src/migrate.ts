// Migration CLI: `node dist/app/src/migrate.js pre|post|latest|lint|status|rollback [--all]`
// (docs/app/migrations.md). The operator's Jobs run `pre` (before a rollout: lint, then the
// pending pre-deploy migrations) and `post` (after it: the post-deploy ones); `latest` (the
// default, npm run migrate) runs both. A database ahead of the image (a rollback) is fine unless a
// newer migration was a contract one. Exit codes: 0 ok (also "ahead"), 1 failure, 2 usage,
// 3 rollback blocked by a contract migration, 4 lint failed. On exit a one-line JSON summary goes
// to MIGRATE_RESULT_FILE (migrate-result.ts). Uses the server's configuration and requires a
// configured database (DATABASE_URL or POSTGRES_HOST). Safe to run concurrently (migrations.ts).
// SIGTERM (the operator deleting a superseded Job) ends this run's database sessions, so a
// migration in progress rolls back and its lock goes at once, then exits 143 ("stopped").
import { ConfigError, loadConfig } from './config.js';
import { createMigrationKnex, terminateSessions } from './data/database.js';
import { describeFinding, MigrationLintError } from './data/migration-lint.js';
import { lintPending, migrateRollback, migrationStatus, runMigrations, type RunOutcome } from './data/migrations.js';
import { resultFile, writeResult, type MigrateResult } from './migrate-result.js';
import { createLogger, type Logger } from './observability/logger.js';

const COMMANDS = ['pre', 'post', 'latest', 'lint', 'status', 'rollback'] as const;
type Command = (typeof COMMANDS)[number];

// stopped: 128 + SIGTERM, what a shell reports for a process that signal ended
const EXIT = { ok: 0, failed: 1, usage: 2, blocked: 3, lintFailed: 4, stopped: 143 } as const;
/** How long a SIGTERM may take to end the sessions before the process exits anyway (the kubelet's grace is 30 s). */
const STOP_TIMEOUT_MS = 5000;

/** Set on SIGTERM: the run's own outcome (an error from its ended session) is no longer reported. */
let stopping = false;

interface Done {
  code: number;
  result: MigrateResult;
}

const summary = (command: Command, fields: Partial<MigrateResult> & Pick<MigrateResult, 'result' | 'message'>): MigrateResult => ({
  command,
  applied: [],
  head: null,
  aheadBy: 0,
  blockedBy: null,
  pendingPost: [],
  ...fields,
});

function fromOutcome(command: Command, o: RunOutcome): Done {
  const result = summary(command, { result: o.result, applied: o.applied, head: o.head, aheadBy: o.ahead.length, blockedBy: o.blockedBy?.name ?? null, pendingPost: o.pendingPost, message: o.message });
  return { code: o.result === 'blocked' ? EXIT.blocked : EXIT.ok, result };
}

async function execute(command: Command, knex: ReturnType<typeof createMigrationKnex>, log: Logger, opts: Parameters<typeof runMigrations>[2]): Promise<Done> {
  if (command === 'pre' || command === 'post' || command === 'latest') {
    // `latest` is the local/dev path: `npm run migrate -- lint` checks the same migrations on demand.
    const outcome = await runMigrations(knex, command, { ...opts, lint: command !== 'latest' });
    const done = fromOutcome(command, outcome);
    if (outcome.result === 'blocked') log.error({ blockedBy: outcome.blockedBy }, outcome.message);
    else log.info({ applied: outcome.applied, head: outcome.head, aheadBy: outcome.ahead.length, pendingPost: outcome.pendingPost }, outcome.message);
    return done;
  }
  if (command === 'lint') {
    const { report, state } = await lintPending(knex, opts);
    for (const f of report.allowed) process.stderr.write(`${describeFinding(f)}\n`);
    const message = report.checked.length ? `lint passed: ${report.checked.join(', ')}` : 'no pending pre-deploy migrations to lint';
    log.info({ checked: report.checked, allowed: report.allowed.length }, message);
    return { code: EXIT.ok, result: summary(command, { result: 'lintPassed', head: state.head, aheadBy: state.ahead.length, pendingPost: state.pendingPost, message }) };
  }
  if (command === 'rollback') {
    const reverted = await migrateRollback(knex, process.argv.includes('--all'), opts);
    const message = reverted.length ? `rolled back ${reverted.join(', ')}` : 'nothing to roll back';
    log.info({ reverted }, message);
    const status = await migrationStatus(knex);
    return { code: EXIT.ok, result: summary(command, { result: reverted.length ? 'rolledBack' : 'upToDate', head: status.applied.at(-1) ?? null, pendingPost: status.pendingPost, message }) };
  }
  const status = await migrationStatus(knex);
  log.info(status, 'migration status');
  const lines = [`applied: ${status.applied.join(', ') || '(none)'}`, `pending: ${status.pending.join(', ') || '(none)'}`];
  if (status.pendingPost.length) lines.push(`pending post-deploy: ${status.pendingPost.join(', ')}`);
  if (status.ahead.length) lines.push(`ahead (applied, not in this image): ${status.ahead.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const result = status.ahead.length ? 'ahead' : status.pending.length ? 'pending' : 'upToDate';
  return { code: EXIT.ok, result: summary(command, { result, head: status.applied.at(-1) ?? null, aheadBy: status.ahead.length, pendingPost: status.pendingPost, message: lines.join('; ') }) };
}

async function main(): Promise<number> {
  const command = (process.argv[2] ?? 'latest') as Command;
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`usage: migrate.js ${COMMANDS.join('|')} [--all]\n`);
    return EXIT.usage;
  }
  const file = resultFile();
  const report = (r: MigrateResult) => {
    if (!stopping) writeResult(file, r);
  };
  const fail = (message: string): number => {
    report(summary(command, { result: 'failed', message }));
    return EXIT.failed;
  };
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${err.message}\n`);
      return fail(`invalid configuration: ${err.message}`);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (!config.db.url) {
    process.stderr.write('No database configured: set DATABASE_URL (or POSTGRES_HOST/USER/PASSWORD/DB/PORT)\n');
    return fail('no database configured: set DATABASE_URL (or POSTGRES_HOST/USER/PASSWORD/DB/PORT)');
  }
  const db = { ...config.db, url: config.db.url };
  const sessions = new Set<number>();
  const knex = createMigrationKnex(db, config.migration, log, sessions);
  process.once('SIGTERM', () => {
    stopping = true;
    setTimeout(() => process.exit(EXIT.stopped), STOP_TIMEOUT_MS);
    void terminateSessions(db, [...sessions]).then(
      (n) => `stopped by SIGTERM: ended ${n} database session(s), so a migration in progress rolled back`,
      (err: Error) => `stopped by SIGTERM; could not end its database sessions (${err.message}): the server ends them when it next writes to them`,
    ).then((message) => {
      log.warn({ command }, message);
      writeResult(file, summary(command, { result: 'stopped', message }));
      process.exit(EXIT.stopped);
    });
  });
  const opts = {
    lockRetries: config.migration.lockRetries,
    waitMs: config.migration.waitMs,
    onRetry: (attempt: number, err: Error) => log.warn({ attempt, err: { message: err.message } }, 'migration gave up waiting for a lock; retrying'),
  };
  try {
    const done = await execute(command, knex, log, opts);
    report(done.result);
    return done.code;
  } catch (err) {
    if (stopping) return EXIT.stopped; // its session was ended on purpose
    if (err instanceof MigrationLintError) {
      process.stderr.write(`${err.message}\n`);
      const v = err.report.violations;
      log.error({ violations: v.map(({ migration, rule, table, statement }) => ({ migration, rule, table, statement })) }, 'migration lint failed: nothing was applied');
      const message = `lint failed, nothing applied: ${v.map((f) => `migration ${f.migration}: rule ${f.rule}${f.table ? ` on ${f.table}` : ''}: ${f.statement}`).join('; ')}`;
      report(summary(command, { result: 'lintFailed', message }));
      return EXIT.lintFailed;
    }
    const e = err as Error & { code?: string };
    log.error({ err: { message: e.message, code: e.code } }, `migrate ${command} failed`);
    return fail(`migrate ${command} failed: ${e.message}`);
  } finally {
    await knex.destroy();
  }
}

main().then(
  (code) => {
    if (!stopping) process.exit(code); // else the SIGTERM handler exits
  },
  (err: unknown) => {
    if (stopping) return;
    process.stderr.write(`migrate failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT.failed);
  },
);
