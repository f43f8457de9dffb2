// Migrations: up, down, up again; two concurrent runs; the schema has the lab's columns.
import knexFactory, { type Knex } from 'knex';
import { Client } from 'pg';
import { createMigrationKnex } from '../../app/src/data/database';
import { MigrationLockedError, migrateLatest, migrateRollback, migrationSource, migrationStatus, migratorConfig } from '../../app/src/data/migrations';
import { dbConfig } from './support';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';

let db: TestDatabase;
let knex: Knex;
beforeAll(async () => {
  db = await createTestDatabase('migrations');
  knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
});
afterAll(async () => {
  await knex.destroy();
  await db.drop();
});

async function columns(): Promise<string[]> {
  const rows = await knex('information_schema.columns').where({ table_name: 'items', table_schema: 'public' }).select('column_name');
  return rows.map((r: { column_name: string }) => r.column_name).sort();
}

const ALL = ['001_create_items', '002_add_price', '003_add_sentiment'];

it('when migrating up, down and up again, then the schema follows and status says so', async () => {
  expect(await migrationStatus(knex)).toEqual({ applied: [], pending: ALL, ahead: [], pendingPost: [] });
  expect(await migrateLatest(knex)).toEqual(ALL);
  expect(await columns()).toEqual(['created_at', 'description', 'id', 'name', 'price', 'sentiment', 'sentiment_score']);
  const indexes = (await knex.raw("select indexname from pg_indexes where tablename = 'items'")).rows.map((r: { indexname: string }) => r.indexname);
  expect(indexes).toEqual(expect.arrayContaining(['items_pkey', 'ix_items_name', 'ix_items_sentiment']));
  await expect(knex('items').insert({ name: 'x', description: 'y', price: -1 })).rejects.toThrow(/items_price_non_negative/);

  expect(await migrateRollback(knex, true)).toEqual([...ALL].reverse());
  expect(await knex.schema.hasTable('items')).toBe(false);
  expect(await migrationStatus(knex)).toEqual({ applied: [], pending: ALL, ahead: [], pendingPost: [] });

  expect(await migrateLatest(knex)).toEqual(ALL);
  expect(await migrationStatus(knex)).toEqual({ applied: ALL, pending: [], ahead: [], pendingPost: [] });
});

it('when rolling back one batch step by step, then price and sentiment columns go in reverse order', async () => {
  await migrateRollback(knex, true);
  await knex.migrate.up({ migrationSource });
  expect(await columns()).toEqual(['created_at', 'description', 'id', 'name']);
  await migrateLatest(knex);
  expect(await columns()).toContain('sentiment_score');
});

it('when two runs migrate the same empty database concurrently, then both succeed and each migration applies once', async () => {
  const fresh = await createTestDatabase('migrations_concurrent');
  const a = knexFactory({ client: 'pg', connection: fresh.url, pool: { min: 0, max: 2 } });
  const b = knexFactory({ client: 'pg', connection: fresh.url, pool: { min: 0, max: 2 } });
  try {
    const [ra, rb] = await Promise.all([migrateLatest(a), migrateLatest(b)]);
    expect([...ra, ...rb].sort()).toEqual(ALL);
    const applied = await a('knex_migrations').select('name').orderBy('id');
    expect(applied.map((r: { name: string }) => r.name)).toEqual(ALL);
  } finally {
    await a.destroy();
    await b.destroy();
    await fresh.drop();
  }
});

describe('migrations beside serving traffic', () => {
  let mdb: TestDatabase;
  let mk: Knex;
  let holder: Client;
  const migration = { statementTimeoutMs: 0, lockTimeoutMs: 300, lockRetries: 20, waitMs: 10000 };
  beforeAll(async () => {
    mdb = await createTestDatabase('migrations_lock');
    mk = createMigrationKnex(dbConfig(mdb.url, { statementTimeoutMs: 50 }), migration);
    holder = new Client({ connectionString: mdb.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await mk.destroy();
    await mdb.drop();
  });

  it('when migrating, then its connections have no serving statement timeout but a lock_timeout', async () => {
    expect((await mk.raw('show statement_timeout')).rows[0].statement_timeout).toBe('0');
    expect((await mk.raw('show lock_timeout')).rows[0].lock_timeout).toBe('300ms');
  });

  it('when a long transaction holds a lock the migration needs, then serving reads wait at most about lock_timeout, the migration retries and succeeds once the lock is gone', async () => {
    await migrateLatest(mk);
    await mk.migrate.down(migratorConfig); // 003 pending again: it ALTERs items, which needs ACCESS EXCLUSIVE
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM items'); // ACCESS SHARE until COMMIT

    let retries = 0;
    const running = migrateLatest(mk, { lockRetries: migration.lockRetries, retryDelayMs: 100, onRetry: () => retries++ });
    await new Promise((r) => setTimeout(r, 100));
    const reader = new Client({ connectionString: mdb.url });
    await reader.connect();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) { // reads queue behind the migration's pending lock request, never for long
      const t0 = Date.now();
      await reader.query('SELECT count(*) FROM items');
      waits.push(Date.now() - t0);
    }
    await reader.end();
    await holder.query('COMMIT');
    expect(await running).toEqual(['003_add_sentiment']);
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(Math.max(...waits)).toBeLessThan(migration.lockTimeoutMs + 400);
  });

  it('when another run holds the migration lock longer than the wait, then the run fails clearly; once it is released, a run succeeds', async () => {
    await holder.query('SELECT pg_advisory_lock(7413920118)');
    const t0 = Date.now();
    await expect(migrateLatest(mk, { waitMs: 500 })).rejects.toBeInstanceOf(MigrationLockedError);
    expect(Date.now() - t0).toBeLessThan(2000);
    const waiting = migrateLatest(mk, { waitMs: 10000 });
    await new Promise((r) => setTimeout(r, 300));
    await holder.query('SELECT pg_advisory_unlock(7413920118)');
    expect(await waiting).toEqual([]);
  });
});
