// Knex migration settings shared by start.ts (embedded database), migrate.ts (CLI / k8s Job) and tests.
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';

type Entry = (typeof migrations)[number];

/** Serves the static migration list; names carry no extension, so ts and compiled js agree. */
export const migrationSource: Knex.MigrationSource<Entry> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m.migration,
};

export const migratorConfig: Knex.MigratorConfig = {
  migrationSource,
  tableName: 'knex_migrations',
  // The default, stated because it matters: each migration runs in a transaction, and a concurrent
  // run waits on Knex's lock, then finds nothing left to do.
  disableTransactions: false,
};

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

// Knex's lock row protects runs against an existing schema, but two first runs on an empty
// database race creating the lock table itself (and both insert a lock row): serialise whole runs
// with a session-level Postgres advisory lock instead. Needs a pool of at least 2 connections.
// The lock is polled (pg_try_advisory_lock), so a second run waits a bounded time, then says why.
const ADVISORY_LOCK_KEY = 7_413_920_118; // arbitrary, constant: "fastapiapp migrations"

export class MigrationLockedError extends Error {
  constructor(waitMs: number) {
    super(`another migration run has held the migration lock for over ${waitMs} ms; try again when it has finished`);
    this.name = 'MigrationLockedError';
  }
}

export interface MigrateOptions {
  /** Attempts after a lock timeout (55P03) before giving up; default 0. */
  lockRetries?: number;
  /** Pause before retry n is n times this (capped at 5 s); default 1000. */
  retryDelayMs?: number;
  /** Longest wait for a concurrent run to finish; default 10 min. */
  waitMs?: number;
  /** Told about each retry. */
  onRetry?: (attempt: number, err: Error) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withMigrationLock<T>(knex: Knex, waitMs: number, work: () => Promise<T>): Promise<T> {
  const conn: unknown = await knex.client.acquireConnection();
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const r = await knex.raw<{ rows: { locked: boolean }[] }>('select pg_try_advisory_lock(?) as locked', [ADVISORY_LOCK_KEY]).connection(conn);
      if (r.rows[0]?.locked) break;
      if (Date.now() >= deadline) throw new MigrationLockedError(waitMs);
      await sleep(Math.min(250, Math.max(deadline - Date.now(), 0)));
    }
    try {
      return await work();
    } finally {
      await knex.raw('select pg_advisory_unlock(?)', [ADVISORY_LOCK_KEY]).connection(conn).catch(() => undefined);
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

/** 55P03: a statement gave up waiting for a lock (lock_timeout). Its migration's transaction rolled back. */
function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '55P03';
}

async function retryingLockTimeouts<T>(opts: MigrateOptions, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isLockTimeout(err) || attempt > (opts.lockRetries ?? 0)) throw err;
      opts.onRetry?.(attempt, err as Error);
      await sleep(Math.min((opts.retryDelayMs ?? 1000) * attempt, 5000));
    }
  }
}

export async function migrateLatest(knex: Knex, opts: MigrateOptions = {}): Promise<string[]> {
  return withMigrationLock(knex, opts.waitMs ?? 600_000, () =>
    retryingLockTimeouts(opts, async () => {
      const [, names] = (await knex.migrate.latest(migratorConfig)) as [number, string[]];
      return names;
    }),
  );
}

export async function migrateRollback(knex: Knex, all = false, opts: MigrateOptions = {}): Promise<string[]> {
  return withMigrationLock(knex, opts.waitMs ?? 600_000, () =>
    retryingLockTimeouts(opts, async () => {
      const [, names] = (await knex.migrate.rollback(migratorConfig, all)) as [number, string[]];
      return names;
    }),
  );
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [completed, pending] = (await knex.migrate.list(migratorConfig)) as [{ name: string }[], Entry[]];
  return { applied: completed.map((c) => c.name), pending: pending.map((p) => p.name) };
}
