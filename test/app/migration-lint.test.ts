// The migration lint on real Postgres: a table of seeded pre-deploy migrations, each against a
// migrated database with rows (so `items` is an existing table), with the verdict the real
// PostgreSQL parser and the rules give; the dry run leaves the schema as it was; the project's
// own migrations pass (on an empty database, one at a time, and on an adopted lab database).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { MigrationLintError, lintMigrations, type LintReport } from '../../app/src/data/migration-lint';
import { migrateLatest, migrations, type MigrationEntry } from '../../app/src/data/migrations';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';

type Migration = MigrationEntry['migration'];
const raw = (...sql: string[]): Migration => ({
  up: async (knex: Knex) => {
    for (const s of sql) await knex.raw(s);
  },
  down: async () => undefined,
});
const builder = (fn: (knex: Knex) => Promise<unknown>): Migration => ({ up: async (knex: Knex) => void (await fn(knex)), down: async () => undefined });

/** [case, migration, rules it breaks (empty: it passes)] */
const seeded: [string, Migration, string[]][] = [
  ['DROP TABLE', raw('drop table items'), ['drop-table']],
  ['DROP COLUMN (Knex builder)', builder((k) => k.schema.alterTable('items', (t) => { t.dropColumn('description'); })), ['drop-column']],
  ['RENAME COLUMN (Knex builder)', builder((k) => k.schema.alterTable('items', (t) => { t.renameColumn('name', 'title'); })), ['rename-column']],
  ['RENAME TABLE', raw('alter table items rename to things'), ['rename-table']],
  ['ALTER COLUMN TYPE', raw('alter table items alter column price type bigint'), ['change-column-type']],
  ['SET NOT NULL', raw('alter table items alter column sentiment_score set not null'), ['set-not-null']],
  ['ADD COLUMN NOT NULL without a default (the dry run fails too)', raw('alter table items add column rating integer not null'), ['add-required-column']],
  ['ADD COLUMN with a volatile default', raw('alter table items add column token uuid default gen_random_uuid()'), ['volatile-default']],
  ['ADD COLUMN of a serial type', raw('alter table items add column seq bigserial'), ['volatile-default']],
  ['CREATE INDEX without CONCURRENTLY (Knex builder)', builder((k) => k.schema.alterTable('items', (t) => { t.index(['created_at'], 'ix_items_created'); })), ['index-not-concurrent']],
  ['ADD CHECK without NOT VALID', raw('alter table items add constraint items_price_small check (price < 1000000)'), ['constraint-not-valid']],
  ['ADD FOREIGN KEY without NOT VALID', raw('create table owners (id integer primary key)', 'alter table items add column owner_id integer', 'alter table items add constraint items_owner_fk foreign key (owner_id) references owners (id)'), ['constraint-not-valid']],
  ['ADD UNIQUE', raw('alter table items add constraint items_name_unique unique (name)'), ['unique-constraint']],
  ['a safe statement and a DROP COLUMN in one string', raw('alter table items add column a text; alter table items drop column description'), ['drop-column']],
  ['an unparsable statement', raw('select 1 frm items'), ['unparsable']],
  // Safe
  ['ADD COLUMN nullable (Knex builder)', builder((k) => k.schema.alterTable('items', (t) => { t.text('note'); })), []],
  ['ADD COLUMN NOT NULL with a constant default', raw("alter table items add column status text not null default 'new'"), []],
  ['ADD COLUMN with a stable default (now())', raw('alter table items add column seen_at timestamptz default now()'), []],
  ['CREATE INDEX CONCURRENTLY (no transaction)', { ...raw('create index concurrently ix_items_created on items (created_at)'), config: { transaction: false } }, []],
  ['CHECK NOT VALID, then VALIDATE', raw('alter table items add constraint items_price_small check (price < 1000000) not valid', 'alter table items validate constraint items_price_small'), []],
  ['a new table with its index, constraints and NOT NULL', builder(async (k) => {
    await k.schema.createTable('tags', (t) => { t.increments('id'); t.string('label').notNullable().unique(); t.integer('item_id').references('items.id'); t.index(['item_id']); });
    await k.raw('alter table tags alter column item_id set not null');
  }), []],
  ['a batched backfill', raw('update items set sentiment_score = 0 where sentiment_score is null'), []],
  ['DROP INDEX CONCURRENTLY', { ...raw('drop index concurrently if exists ix_items_sentiment'), config: { transaction: false } }, []],
];

let db: TestDatabase;
let knex: Knex;
beforeAll(async () => {
  db = await createTestDatabase('migration_lint');
  knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
  await migrateLatest(knex);
  await knex('items').insert([1, 2, 3].map((i) => ({ name: `item ${i}`, description: 'fine', price: i, sentiment: 'positive', sentiment_score: 0.5 })));
});
afterAll(async () => {
  await knex.destroy();
  await db.drop();
});

async function schema(): Promise<unknown> {
  const cols = await knex.raw("select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = 'public' order by 1, 2");
  const idx = await knex.raw("select indexname from pg_indexes where schemaname = 'public' order by 1");
  const cons = await knex.raw("select conname, convalidated from pg_constraint where connamespace = 'public'::regnamespace order by 1");
  const applied = await knex('knex_migrations').select('name').orderBy('id');
  return { cols: cols.rows, idx: idx.rows, cons: cons.rows, applied };
}

async function verdict(entry: MigrationEntry): Promise<{ rules: string[]; report?: LintReport }> {
  try {
    const report = await lintMigrations(knex, [entry]);
    return { rules: [], report };
  } catch (err) {
    if (err instanceof MigrationLintError) return { rules: err.report.violations.map((v) => v.rule), report: err.report };
    throw err;
  }
}

describe('a pre-deploy migration against an existing table with rows', () => {
  let before: unknown;
  beforeAll(async () => {
    before = await schema();
  });
  afterAll(async () => {
    expect(await schema()).toEqual(before); // every dry run was rolled back
  });

  const cases = seeded.map(([name, migration, rules]) => [name, rules, migration] as const);
  it.each(cases)('when it does %s, then the lint finds %j', async (name, rules, migration) => {
    const entry = { name: `004_${name.replace(/\W+/g, '_').toLowerCase()}`, migration };
    const v = await verdict(entry);
    expect(v.rules).toEqual(rules);
    for (const f of v.report?.violations ?? []) {
      expect(f.migration).toBe(entry.name);
      expect(f.statement.length).toBeGreaterThan(0);
    }
    expect(await schema()).toEqual(before);
  });
});

it('when a migration fails the lint, then the error names the migration, the rule, the table and the statement', async () => {
  const err = await lintMigrations(knex, [{ name: '004_drop_description', migration: raw('alter table items drop column description') }]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MigrationLintError);
  expect((err as Error).message).toContain('migration 004_drop_description: rule drop-column on table items');
  expect((err as Error).message).toContain('statement: alter table items drop column description');
  expect((err as Error).message).toMatch(/post-deploy migration/);
});

it('when a migration allows a rule with a reason, then that finding is reported as allowed, not a violation', async () => {
  const migration = { ...raw('alter table items drop column description'), lintAllow: { 'drop-column': 'the column was never read' } };
  const report = await lintMigrations(knex, [{ name: '004_allowed', migration }]);
  expect(report.violations).toEqual([]);
  expect(report.allowed).toEqual([expect.objectContaining({ rule: 'drop-column', allowedBecause: 'the column was never read' })]);
  expect(await knex.schema.hasColumn('items', 'description')).toBe(true);
});

it.each([
  [{ 'drop-everything': 'why not' }, /unknown rule "drop-everything"/],
  [{ 'drop-column': ' ' }, /needs a reason/],
])('when lintAllow is %j, then the lint fails naming the problem', async (lintAllow, message) => {
  await expect(lintMigrations(knex, [{ name: '004_bad_allow', migration: { ...raw('select 1'), lintAllow } }])).rejects.toThrow(message);
});

it('when the dry run hits a lock timeout, then the error is the lock timeout (for the caller to retry), not a verdict', async () => {
  const locker = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
  const trx = await locker.transaction();
  try {
    await trx.raw('lock table items in access exclusive mode');
    const migration = raw('set local lock_timeout = 200', 'alter table items add column z text');
    await expect(lintMigrations(knex, [{ name: '004_waits', migration }])).rejects.toMatchObject({ code: '55P03' });
  } finally {
    await trx.rollback();
    await locker.destroy();
  }
});

describe("the project's own migrations", () => {
  it('when all are pending on an empty database, then they pass with nothing even allowed', async () => {
    const fresh = await createTestDatabase('lint_own');
    const k = knexFactory({ client: 'pg', connection: fresh.url, pool: { min: 0, max: 2 } });
    try {
      const report = await lintMigrations(k, migrations);
      expect(report).toEqual({ checked: migrations.map((m) => m.name), violations: [], allowed: [] });
      expect(await k.schema.hasTable('items')).toBe(false);
    } finally {
      await k.destroy();
      await fresh.drop();
    }
  });

  it.each(migrations.map((m, i) => [m.name, i] as const))('when %s is the one pending migration, then it passes (its allowances stated)', async (_name, i) => {
    const fresh = await createTestDatabase('lint_step');
    const k = knexFactory({ client: 'pg', connection: fresh.url, pool: { min: 0, max: 2 } });
    try {
      if (i > 0) await migrateLatest(k, { migrations: migrations.slice(0, i) });
      const report = await lintMigrations(k, [migrations[i]!]);
      expect(report.violations).toEqual([]);
      for (const a of report.allowed) expect(a.allowedBecause).toBeTruthy();
    } finally {
      await k.destroy();
      await fresh.drop();
    }
  });

  it('when they adopt a lab database (price exercise done), then they pass, on the allowances 001 and 002 state', async () => {
    const fresh = await createTestDatabase('lint_lab');
    const k = knexFactory({ client: 'pg', connection: fresh.url, pool: { min: 0, max: 2 } });
    try {
      for (const f of ['lab-schema.sql', 'lab-add-price.sql']) await k.raw(readFileSync(path.join(__dirname, 'fixtures', f), 'utf8'));
      const report = await lintMigrations(k, migrations);
      expect(report.violations).toEqual([]);
      expect(report.allowed.map((a) => `${a.migration} ${a.rule}`).sort()).toEqual([
        '001_create_items index-not-concurrent',
        '001_create_items set-not-null',
        '002_add_price change-column-type',
        '002_add_price constraint-not-valid',
        '002_add_price set-not-null',
        '003_add_sentiment constraint-not-valid',
        '003_add_sentiment index-not-concurrent',
      ]);
    } finally {
      await k.destroy();
      await fresh.drop();
    }
  });
});
