// Expand/contract on real Postgres: pre runs only pre-deploy migrations, post runs the rest, the
// database records each phase, and an older image meets a newer database as a rollback would:
// "ahead" (nothing to do) past newer expand migrations, "blocked" past a newer contract one.
import knexFactory, { type Knex } from 'knex';
import { migrateLatest, migrateRollback, migrations, migrationStatus, readSchemaState, RollbackBlockedError, runMigrations, type MigrationEntry } from '../../app/src/data/migrations';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';

const addColumn = (column: string): MigrationEntry['migration'] => ({
  up: (knex: Knex) => knex.schema.alterTable('items', (t) => { t.text(column); }),
  down: (knex: Knex) => knex.schema.alterTable('items', (t) => { t.dropColumn(column); }),
});
const dropColumn = (column: string): MigrationEntry['migration'] => ({
  phase: 'post',
  up: (knex: Knex) => knex.schema.alterTable('items', (t) => { t.dropColumn(column); }),
  down: (knex: Knex) => knex.schema.alterTable('items', (t) => { t.text(column); }),
});

const SHIPPED = migrations.map((m) => m.name);
const older = [...migrations];
const newerExpand = [...older, { name: '004_add_note', migration: addColumn('note') }, { name: '005_add_rating', migration: addColumn('rating') }];
const newerContract = [...older, { name: '004_add_note', migration: addColumn('note') }, { name: '005_drop_note', migration: dropColumn('note') }];

let db: TestDatabase;
let knex: Knex;
beforeEach(async () => {
  db = await createTestDatabase('migration_phases');
  knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
});
afterEach(async () => {
  await knex.destroy();
  await db.drop();
});

async function columns(): Promise<string[]> {
  const rows = await knex('information_schema.columns').where({ table_name: 'items', table_schema: 'public' }).select('column_name');
  return rows.map((r: { column_name: string }) => r.column_name).sort();
}

async function phases(): Promise<Record<string, string>> {
  const rows = await knex('fastapiapp_migration_phases').select('name', 'phase');
  return Object.fromEntries(rows.map((r: { name: string; phase: string }) => [r.name, r.phase]));
}

it('when pre runs a list with a post-deploy migration, then only the pre-deploy ones apply and the post one stays pending until post', async () => {
  const pre = await runMigrations(knex, 'pre', { migrations: newerContract });
  expect(pre).toMatchObject({ result: 'applied', applied: [...SHIPPED, '004_add_note'], pendingPost: ['005_drop_note'], head: '004_add_note', blockedBy: null });
  expect(await columns()).toContain('note');

  const post = await runMigrations(knex, 'post', { migrations: newerContract });
  expect(post).toMatchObject({ result: 'applied', applied: ['005_drop_note'], pendingPost: [], head: '005_drop_note' });
  expect(await columns()).not.toContain('note');
  expect(await phases()).toEqual({ ...Object.fromEntries(SHIPPED.map((n) => [n, 'pre'])), '004_add_note': 'pre', '005_drop_note': 'post' });

  expect(await runMigrations(knex, 'post', { migrations: newerContract })).toMatchObject({ result: 'upToDate', applied: [] });
});

it('when the database was migrated by a newer list of expand migrations, then the older list is "ahead": nothing runs, nothing fails', async () => {
  await migrateLatest(knex, { migrations: newerExpand });
  const cols = await columns();
  for (const command of ['pre', 'post', 'latest'] as const) {
    const outcome = await runMigrations(knex, command, { migrations: older });
    expect(outcome).toMatchObject({ result: 'ahead', applied: [], head: '005_add_rating', blockedBy: null, message: 'database is 2 migrations ahead of this image; nothing to do' });
    expect(outcome.ahead.map((a) => a.name)).toEqual(['004_add_note', '005_add_rating']);
  }
  expect(await columns()).toEqual(cols);
  // Knex alone refuses this database: the comparison is ours.
  await expect(knex.migrate.latest({ migrationSource: { getMigrations: async () => older, getMigrationName: (m: MigrationEntry) => m.name, getMigration: async (m: MigrationEntry) => m.migration } })).rejects.toThrow(/migration directory is corrupt/);
  expect(await migrationStatus(knex, older)).toEqual({ applied: [...SHIPPED, '004_add_note', '005_add_rating'], pending: [], ahead: ['004_add_note', '005_add_rating'], pendingPost: [] });
});

it('when a newer contract migration was applied, then the older list is blocked naming it, and nothing runs', async () => {
  await migrateLatest(knex, { migrations: newerContract });
  const appliedAt = (await knex('fastapiapp_migration_phases').where({ name: '005_drop_note' }).first()).applied_at as Date;
  for (const command of ['pre', 'post'] as const) {
    const outcome = await runMigrations(knex, command, { migrations: older });
    expect(outcome).toMatchObject({ result: 'blocked', applied: [], head: '005_drop_note' });
    expect(outcome.blockedBy?.name).toBe('005_drop_note');
    expect(outcome.message).toContain(`rollback blocked by contract migration 005_drop_note, applied ${appliedAt.toISOString()}`);
  }
  await expect(migrateLatest(knex, { migrations: older })).rejects.toBeInstanceOf(RollbackBlockedError);
  // The list that ships 004 but not 005 is blocked too; the list that ships both is not.
  expect((await runMigrations(knex, 'pre', { migrations: newerContract.slice(0, 4) })).result).toBe('blocked');
  expect((await runMigrations(knex, 'pre', { migrations: newerContract })).result).toBe('upToDate');
});

it('when the database was migrated before phases were recorded, then the next run records the phases of the migrations it ships', async () => {
  await knex.migrate.latest({ migrationSource: { getMigrations: async () => newerContract, getMigrationName: (m: MigrationEntry) => m.name, getMigration: async (m: MigrationEntry) => m.migration } });
  expect(await knex.schema.hasTable('fastapiapp_migration_phases')).toBe(false);
  expect(await runMigrations(knex, 'pre', { migrations: newerContract })).toMatchObject({ result: 'upToDate' });
  expect(await phases()).toMatchObject({ '004_add_note': 'pre', '005_drop_note': 'post' });
  // Now an older image knows 005 was a contract migration.
  expect((await runMigrations(knex, 'pre', { migrations: older })).blockedBy?.name).toBe('005_drop_note');
});

it('when the last batch is rolled back, then its phase records go with it; an image that lacks applied migrations may not roll back', async () => {
  await runMigrations(knex, 'latest', { migrations: newerContract });
  expect(await migrateRollback(knex, false, { migrations: newerContract })).toEqual(['005_drop_note']);
  expect(await phases()).not.toHaveProperty('005_drop_note');
  expect((await readSchemaState(knex, newerContract)).pendingPost).toEqual(['005_drop_note']);
  await expect(migrateRollback(knex, false, { migrations: older })).rejects.toThrow(/does not ship \(004_add_note\)/);
});

it('when a migration declares an unknown phase, then the run fails naming it before anything runs', async () => {
  const bad = [...older, { name: '004_odd', migration: { ...addColumn('odd'), phase: 'later' } }];
  await expect(runMigrations(knex, 'pre', { migrations: bad })).rejects.toThrow(/004_odd exports phase "later"/);
  expect(await knex.schema.hasTable('items')).toBe(false);
});
