// Migrations: up, down, up again; two concurrent runs; the schema has the lab's columns.
import knexFactory, { type Knex } from 'knex';
import { migrateLatest, migrateRollback, migrationSource, migrationStatus } from '../../app/src/data/migrations';
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
  expect(await migrationStatus(knex)).toEqual({ applied: [], pending: ALL });
  expect(await migrateLatest(knex)).toEqual(ALL);
  expect(await columns()).toEqual(['created_at', 'description', 'id', 'name', 'price', 'sentiment', 'sentiment_score']);
  const indexes = (await knex.raw("select indexname from pg_indexes where tablename = 'items'")).rows.map((r: { indexname: string }) => r.indexname);
  expect(indexes).toEqual(expect.arrayContaining(['items_pkey', 'ix_items_name', 'ix_items_sentiment']));
  await expect(knex('items').insert({ name: 'x', description: 'y', price: -1 })).rejects.toThrow(/items_price_non_negative/);

  expect(await migrateRollback(knex, true)).toEqual([...ALL].reverse());
  expect(await knex.schema.hasTable('items')).toBe(false);
  expect(await migrationStatus(knex)).toEqual({ applied: [], pending: ALL });

  expect(await migrateLatest(knex)).toEqual(ALL);
  expect(await migrationStatus(knex)).toEqual({ applied: ALL, pending: [] });
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
