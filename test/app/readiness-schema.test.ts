// Readiness knows the schema (real Postgres, the real app wiring): a pod whose database lacks a
// pre-deploy migration its image ships answers /readyz 503 naming it, and turns ready once the
// migrations ran; pending post-deploy migrations and a database ahead of the image are fine. The
// check is one cached query.
import knexFactory, { type Knex } from 'knex';
import { Pool } from 'pg';
import request from 'supertest';
import { compose, type Composition } from '../../app/src/compose';
import { migrateLatest, migrateRollback, migrations, runMigrations, type MigrationEntry } from '../../app/src/data/migrations';
import { appliedMigrationNames, SchemaCheck } from '../../app/src/data/schema-check';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { dbConfig, memoryLogger } from './support';

const addColumn = (column: string): MigrationEntry['migration'] => ({
  up: (knex: Knex) => knex.schema.alterTable('items', (t) => { t.text(column); }),
  down: (knex: Knex) => knex.schema.alterTable('items', (t) => { t.dropColumn(column); }),
});
const withPost = [...migrations, { name: '004_add_note', migration: addColumn('note') }, { name: '005_drop_note', migration: { ...addColumn('gone'), phase: 'post' } }];

let db: TestDatabase;
let knex: Knex;
let apps: Composition[] = [];
beforeEach(async () => {
  db = await createTestDatabase('readiness_schema');
  knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
});
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
  await knex.destroy();
  await db.drop();
});

function app(list?: readonly MigrationEntry[]): Composition {
  const c = compose({ db: dbConfig(db.url), logger: memoryLogger().logger, migrations: list });
  apps.push(c);
  return c;
}

it('when the database was never migrated, then /readyz is 503 naming the missing migrations; once migrated it turns 200', async () => {
  const c = app();
  const r = await request(c.app).get('/readyz').expect(503);
  expect(r.body).toMatchObject({ status: 'not ready', database: 'connected', schema: 'behind', missing: migrations.map((m) => m.name) });
  expect(r.body.reason).toContain('database lacks migration 001_create_items');
  await migrateLatest(knex);
  const deadline = Date.now() + 10_000; // the unsatisfied result is re-checked within ~2 s
  let status = 503;
  while (status !== 200 && Date.now() < deadline) {
    status = (await request(c.app).get('/readyz')).status;
    if (status !== 200) await new Promise((res) => setTimeout(res, 200));
  }
  expect(status).toBe(200);
  expect((await request(c.app).get('/readyz')).body).toMatchObject({ status: 'ready', schema: 'current' });
});

it('when the database lacks only the newest pre-deploy migration, then /readyz names that one', async () => {
  await migrateLatest(knex, { migrations: migrations.slice(0, -1) });
  const r = await request(app().app).get('/readyz').expect(503);
  expect(r.body.missing).toEqual([migrations[migrations.length - 1]!.name]);
});

it('when only a post-deploy migration is pending, then the pod is ready', async () => {
  expect(await runMigrations(knex, 'pre', { migrations: withPost })).toMatchObject({ pendingPost: ['005_drop_note'] });
  expect((await request(app(withPost).app).get('/readyz').expect(200)).body).toMatchObject({ schema: 'current' });
});

it('when the database is ahead of the image (a rollback), then the older image is ready', async () => {
  await migrateLatest(knex, { migrations: withPost });
  await request(app(migrations).app).get('/readyz').expect(200);
});

describe('SchemaCheck', () => {
  it('when asked often, then it queries once per TTL (shared by concurrent callers), and re-checks a satisfied result after its TTL', async () => {
    await migrateLatest(knex);
    const pool = new Pool({ connectionString: db.url, max: 2 });
    const read = appliedMigrationNames(pool, 1500);
    let queries = 0;
    let now = 1_000_000;
    const check = new SchemaCheck(async () => (queries++, read()), migrations.map((m) => m.name), { satisfiedTtlMs: 30_000, unsatisfiedTtlMs: 2_000, now: () => now });
    const results = await Promise.all(Array.from({ length: 20 }, () => check.check()));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(queries).toBe(1);
    now += 29_000;
    await check.check();
    expect(queries).toBe(1);

    await migrateRollback(knex); // the one batch: every migration
    expect(await check.check()).toEqual({ ok: true }); // still cached
    now += 2_000;
    expect(await check.check()).toEqual({ ok: false, missing: migrations.map((m) => m.name) });
    expect(queries).toBe(2);
    now += 1_000;
    await check.check();
    expect(queries).toBe(2); // the unsatisfied result is reused for 2 s
    now += 1_500;
    await check.check();
    expect(queries).toBe(3);
    await pool.end();
  });

  it('when the database cannot answer, then the result says so instead of throwing', async () => {
    const check = new SchemaCheck(async () => { throw Object.assign(new Error('boom'), { code: '57P01' }); }, ['001_create_items']);
    expect(await check.check()).toEqual({ ok: false, error: 'database unreachable (57P01)' });
  });
});
