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
const ADVISORY_LOCK_KEY = 7_413_920_118; // arbitrary, constant: "fastapiapp migrations"

async function withMigrationLock<T>(knex: Knex, work: () => Promise<T>): Promise<T> {
  const conn: unknown = await knex.client.acquireConnection();
  try {
    await knex.raw('select pg_advisory_lock(?)', [ADVISORY_LOCK_KEY]).connection(conn);
    return await work();
  } finally {
    await knex.raw('select pg_advisory_unlock(?)', [ADVISORY_LOCK_KEY]).connection(conn).catch(() => undefined);
    await knex.client.releaseConnection(conn);
  }
}

export async function migrateLatest(knex: Knex): Promise<string[]> {
  return withMigrationLock(knex, async () => {
    const [, names] = (await knex.migrate.latest(migratorConfig)) as [number, string[]];
    return names;
  });
}

export async function migrateRollback(knex: Knex, all = false): Promise<string[]> {
  return withMigrationLock(knex, async () => {
    const [, names] = (await knex.migrate.rollback(migratorConfig, all)) as [number, string[]];
    return names;
  });
}

export async function migrationStatus(knex: Knex): Promise<MigrationStatus> {
  const [completed, pending] = (await knex.migrate.list(migratorConfig)) as [{ name: string }[], Entry[]];
  return { applied: completed.map((c) => c.name), pending: pending.map((p) => p.name) };
}
