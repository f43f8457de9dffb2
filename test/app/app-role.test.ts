// The app's own database role against a real PostgreSQL: the master user (here the test server's
// admin) creates it over a database its migrations already filled; then the app, connecting as the
// role, serves and migrates, and the role can do nothing a master can (roles, databases, other
// schemas' objects). A second run rotates the password; the plaintext is never sent.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import knexFactory, { type Knex } from 'knex';
import { AppRoleError, appRoleStatements, ensureAppRole, scramVerifier } from '../../app/src/data/app-role';
import { migrateLatest, migrationStatus } from '../../app/src/data/migrations';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { compiledApp } from './app-build';

let db: TestDatabase;
let admin: Client;
const role = `app_${randomBytes(4).toString('hex')}`;
const password = randomBytes(24).toString('base64url');
const clients: Array<{ end(): Promise<void> }> = [];

const urlAs = (user: string, pass: string, database = db.name) => {
  const u = new URL(db.url);
  u.username = user;
  u.password = encodeURIComponent(pass);
  u.pathname = `/${database}`;
  return u.toString();
};
async function connectAs(pass: string, database?: string): Promise<Client> {
  const c = new Client({ connectionString: urlAs(role, pass, database) });
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase('approle');
  // As on RDS before this change: the master user ran the migrations, so it owns the tables.
  const k = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 2 } });
  await migrateLatest(k);
  await k.destroy();
  admin = new Client({ connectionString: db.url });
  await admin.connect();
  await ensureAppRole(admin, { role, database: db.name, password });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => {});
  await admin?.end();
  await db?.drop();
  const c = new Client({ connectionString: new URL(db.url).toString().replace(`/${db.name}`, '/postgres') });
  await c.connect();
  await c.query(`DROP OWNED BY ${role}`).catch(() => {});
  await c.query(`DROP ROLE IF EXISTS ${role}`);
  await c.end();
});

test('when the role is created, then it is no superuser and may not create roles or databases, replicate or bypass RLS', async () => {
  const { rows } = await admin.query('select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin from pg_roles where rolname = $1', [role]);
  expect(rows).toEqual([{ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolcanlogin: true }]);
  const app = await connectAs(password);
  await expect(app.query('CREATE ROLE sneaky')).rejects.toThrow(/permission denied/);
  await expect(app.query('CREATE DATABASE sneaky')).rejects.toThrow(/permission denied/);
  await expect(app.query(`ALTER ROLE ${role} SUPERUSER`)).rejects.toThrow(/permission denied|must be superuser/);
});

test('when the app connects as the role, then it owns the migrated tables: it reads, writes and runs a new migration', async () => {
  const { rows } = await admin.query("select tablename, tableowner from pg_tables where schemaname = 'public' order by 1");
  expect(rows.length).toBeGreaterThanOrEqual(3);
  for (const r of rows) expect([r.tablename, r.tableowner]).toEqual([r.tablename, role]);
  const k: Knex = knexFactory({ client: 'pg', connection: urlAs(role, password), pool: { min: 0, max: 2 } });
  clients.push({ end: () => k.destroy() });
  const [item] = await k('items').insert({ name: 'as the role', description: 'works' }).returning(['id']);
  expect(item.id).toEqual(expect.any(Number)); // the id sequence moved with its table
  expect((await migrationStatus(k)).pending).toEqual([]);
  await k.schema.createTable('role_made', (t) => t.increments('id'));
  await k.schema.alterTable('items', (t) => t.text('added_by_role'));
  await k.schema.dropTable('role_made');
  await k.schema.alterTable('items', (t) => t.dropColumn('added_by_role'));
});

test('when another role may log in, then it cannot connect to the app\'s database (PUBLIC lost CONNECT)', async () => {
  const other = `other_${randomBytes(4).toString('hex')}`;
  const otherPassword = randomBytes(24).toString('base64url');
  await admin.query(`CREATE ROLE ${other} LOGIN PASSWORD '${otherPassword}'`);
  try {
    const c = new Client({ connectionString: urlAs(other, otherPassword) });
    await expect(c.connect()).rejects.toThrow(/permission denied for database/);
  } finally {
    await admin.query(`DROP ROLE ${other}`);
  }
});

test('when it runs again with a new password, then the old one stops working and the new one works (rotation), idempotently', async () => {
  const next = randomBytes(24).toString('base64url');
  await ensureAppRole(admin, { role, database: db.name, password: next });
  await ensureAppRole(admin, { role, database: db.name, password: next });
  await expect(connectAs(password)).rejects.toThrow(/password authentication failed/);
  const app = await connectAs(next);
  expect((await app.query('select current_user')).rows[0].current_user).toBe(role);
});

test('when the statements are built, then the password appears only as a SCRAM-SHA-256 verifier and bad names are refused', () => {
  const statements = appRoleStatements({ role: 'fastapiapp_app', database: 'fastapiapp', password: 'p'.repeat(30) });
  expect(statements.join('\n')).not.toContain('p'.repeat(30));
  expect(statements[1]).toMatch(/PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'$/);
  // RFC 7677's example (user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==) derives these keys.
  expect(scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'))).toBe(
    'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=');
  expect(() => appRoleStatements({ role: 'x; DROP', database: 'fastapiapp', password: 'p'.repeat(30) })).toThrow(AppRoleError);
  expect(() => appRoleStatements({ role: 'ok', database: 'fastapiapp', password: 'short' })).toThrow(/24 characters/);
});

test('when the built CLI gets its input on stdin, then it ensures the role and prints no secret; bad input exits 2', async () => {
  const cli = path.join(await compiledApp(), 'app/src/db-role.js');
  const next = randomBytes(24).toString('base64url');
  const run = (input: string) => spawnSync(process.execPath, [cli], { input, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  const ok = run(JSON.stringify({ adminUrl: db.url, role, password: next }));
  expect([ok.status, ok.stdout.trim(), ok.stderr]).toEqual([0, `db-role: role ${role} ensured in database ${db.name}`, '']);
  const app = await connectAs(next);
  expect((await app.query('select current_user')).rows[0].current_user).toBe(role);
  const adminPassword = new URL(db.url).password;
  const bad = run(JSON.stringify({ adminUrl: db.url, role: 'Robert"); DROP', password: next }));
  expect(bad.status).toBe(2);
  for (const out of [ok.stdout, ok.stderr, bad.stdout, bad.stderr]) {
    expect(out).not.toContain(next);
    expect(out).not.toContain(adminPassword);
  }
  expect(run('not json').status).toBe(2);
}, 240_000);
