// The migration CLI as the operator's Jobs run it (the built migrate.js, real processes, real
// Postgres): exit codes and the one-line JSON result file of pre/post/lint, a rollback meeting a
// newer database ("ahead" / "blocked"), and a destructive pre-deploy migration stopped by the lint
// before it touches the schema. Newer releases are made as the end-to-end images make them: the
// compiled build with CommonJS migrations added and its migrations/index.js replaced.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { migrations } from '../../app/migrations/index';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';
import { compiledApp } from './app-build';

const root = path.resolve(__dirname, '../..');
const builds = path.join(root, '.cache/migrate-cli', String(process.pid));
const SHIPPED = migrations.map((m) => m.name);

const addColumn = (column: string) => `exports.up = (knex) => knex.schema.alterTable('items', (t) => { t.text('${column}'); });
exports.down = (knex) => knex.schema.alterTable('items', (t) => { t.dropColumn('${column}'); });
`;
const dropColumn = (column: string) => `exports.phase = 'post';
exports.up = (knex) => knex.schema.alterTable('items', (t) => { t.dropColumn('${column}'); });
exports.down = (knex) => knex.schema.alterTable('items', (t) => { t.text('${column}'); });
`;
const dropColumnPre = (column: string) => dropColumn(column).replace("exports.phase = 'post';\n", '');

/** A release: the build plus these CommonJS migrations after the shipped ones. */
function release(name: string, added: Record<string, string>): string {
  const dir = path.join(builds, name);
  fs.cpSync(path.join(builds, 'base'), dir, { recursive: true });
  const migrationsDir = path.join(dir, 'app/migrations');
  for (const [file, text] of Object.entries(added)) fs.writeFileSync(path.join(migrationsDir, `${file}.js`), text);
  const entries = [...SHIPPED, ...Object.keys(added)].map((n) => `  { name: '${n}', migration: require('./${n}.js') },`).join('\n');
  fs.writeFileSync(path.join(migrationsDir, 'index.js'), `'use strict';\nexports.migrations = [\n${entries}\n];\n`);
  return dir;
}

let r1: string;
let r2: string;
let r3: string;
let bad: string;
let slow: string;
beforeAll(async () => {
  // the one compiled app of this source state (shared with the other process suites), copied so releases can add files
  fs.cpSync(await compiledApp(), path.join(builds, 'base'), { recursive: true });
  r1 = path.join(builds, 'base');
  r2 = release('r2', { '104_add_note': addColumn('note'), '105_add_rating': addColumn('rating') });
  r3 = release('r3', { '104_add_note': addColumn('note'), '105_add_rating': addColumn('rating'), '106_drop_note': dropColumn('note') });
  bad = release('bad', { '104_drop_description': dropColumnPre('description') });
  slow = release('slow', { '104_add_note': "exports.up = async (knex) => { await knex.raw('select pg_sleep(120)'); await knex.schema.alterTable('items', (t) => { t.text('note'); }); };\nexports.down = async () => {};\n" });
}, 180000);
afterAll(() => {
  fs.rmSync(builds, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The parsed result file, if one was written. */
  result?: Record<string, unknown>;
  resultText?: string;
}

function migrate(build: string, command: string, db: TestDatabase, env: Record<string, string> = {}): Promise<Run> {
  return start(build, command, db, env).done;
}

/** The CLI as a running process: `done` resolves when it exited. */
function start(build: string, command: string, db: TestDatabase, env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const resultFile = path.join(build, `result-${command}-${Date.now()}.json`);
  const child = spawn(process.execPath, [path.join(build, 'app/src/migrate.js'), command], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: '/tmp', LOG_LEVEL: 'info', DATABASE_URL: db.url, MIGRATE_RESULT_FILE: resultFile, ...env },
  });
  const done = new Promise<Run>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const resultText = fs.existsSync(resultFile) ? fs.readFileSync(resultFile, 'utf8') : undefined;
      resolve({ code, stdout, stderr, resultText, result: resultText ? (JSON.parse(resultText) as Record<string, unknown>) : undefined });
    });
  });
  return { child, done };
}

async function columns(db: TestDatabase): Promise<string[]> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  try {
    const r = await c.query("select column_name from information_schema.columns where table_name = 'items' order by 1");
    return r.rows.map((row: { column_name: string }) => row.column_name);
  } finally {
    await c.end();
  }
}

describe('a release history r1 -> r2 -> r3 (r3 has a contract migration), then rollbacks', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate_cli_releases');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('when r1 runs pre on an empty database, then it applies everything, exits 0 and writes a one-line JSON result', async () => {
    const r = await migrate(r1, 'pre', db);
    expect(r.code).toBe(0);
    expect(r.resultText!.trim().split('\n')).toHaveLength(1);
    expect(r.result).toEqual({ command: 'pre', result: 'applied', applied: SHIPPED, head: '005_create_idempotency_keys', aheadBy: 0, blockedBy: null, pendingPost: [], message: `applied ${SHIPPED.join(', ')}` });
    expect((await migrate(r1, 'pre', db)).result).toMatchObject({ result: 'upToDate', applied: [], head: '005_create_idempotency_keys' });
  });

  it('when r2 runs pre and r1 is rolled back to, then r1 exits 0: "ahead", nothing to do', async () => {
    expect((await migrate(r2, 'pre', db)).result).toMatchObject({ result: 'applied', applied: ['104_add_note', '105_add_rating'] });
    const r = await migrate(r1, 'pre', db);
    expect(r.code).toBe(0);
    expect(r.result).toEqual({ command: 'pre', result: 'ahead', applied: [], head: '105_add_rating', aheadBy: 2, blockedBy: null, pendingPost: [], message: 'database is 2 migrations ahead of this image; nothing to do' });
    expect(r.stdout).toContain('database is 2 migrations ahead of this image; nothing to do');
  });

  it('when r3 runs pre, then its contract migration waits; post applies it', async () => {
    const pre = await migrate(r3, 'pre', db);
    expect(pre.code).toBe(0);
    expect(pre.result).toMatchObject({ result: 'upToDate', applied: [], pendingPost: ['106_drop_note'] });
    expect(await columns(db)).toContain('note');
    const post = await migrate(r3, 'post', db);
    expect(post.code).toBe(0);
    expect(post.result).toMatchObject({ command: 'post', result: 'applied', applied: ['106_drop_note'], head: '106_drop_note', pendingPost: [] });
    expect(await columns(db)).not.toContain('note');
  });

  it.each([['r1'], ['r2']])('when %s is rolled back to past the contract migration, then pre exits 3 naming it and changes nothing', async (name) => {
    const before = await columns(db);
    const r = await migrate(name === 'r1' ? r1 : r2, 'pre', db);
    expect(r.code).toBe(3);
    expect(r.result).toMatchObject({ command: 'pre', result: 'blocked', applied: [], head: '106_drop_note', blockedBy: '106_drop_note' });
    expect(r.result!.message).toMatch(/^rollback blocked by contract migration 106_drop_note, applied \d{4}-\d\d-\d\dT/);
    expect(r.stdout).toContain('rollback blocked by contract migration 106_drop_note');
    expect(await columns(db)).toEqual(before);
  });
});

describe('a destructive pre-deploy migration', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate_cli_lint');
    expect((await migrate(r1, 'pre', db)).code).toBe(0);
  });
  afterAll(async () => {
    await db.drop();
  });

  it.each([['pre'], ['lint'], ['post']])('when `%s` meets it, then it exits 4 naming the migration, rule and statement, and the schema is untouched', async (command) => {
    const r = await migrate(bad, command, db);
    expect(r.code).toBe(4);
    expect(r.result).toMatchObject({ command, result: 'lintFailed', applied: [] });
    expect(r.result!.message).toContain('migration 104_drop_description: rule drop-column on items: alter table "items" drop column "description"');
    expect(r.stderr).toContain('migration 104_drop_description: rule drop-column on table items');
    expect(await columns(db)).toContain('description');
    expect((await migrate(r1, 'status', db)).stdout).toContain('applied: 001_create_items, 002_add_price, 003_add_sentiment, 004_add_updated_at, 005_create_idempotency_keys\npending: (none)');
  });

  it('when the safe release lints, then it exits 0', async () => {
    const r = await migrate(r2, 'lint', db);
    expect(r.code).toBe(0);
    expect(r.result).toMatchObject({ command: 'lint', result: 'lintPassed', message: 'lint passed: 104_add_note, 105_add_rating' });
    expect(await columns(db)).not.toContain('note');
  });
});

describe('the result file', () => {
  it('when the database cannot be reached, then the command exits 1 and the result says failed', async () => {
    const db = { url: 'postgres://nobody:x@127.0.0.1:1/none' } as TestDatabase;
    const r = await migrate(r1, 'pre', db, { DB_CONNECT_TIMEOUT_MS: '500' });
    expect(r.code).toBe(1);
    expect(r.result).toMatchObject({ command: 'pre', result: 'failed', applied: [], head: null });
    expect(String(r.result!.message)).toMatch(/^migrate pre failed: .*ECONNREFUSED/);
  });

  it('when MIGRATE_RESULT_FILE is empty, then no file is written and the exit code still tells', async () => {
    const db = await createTestDatabase('migrate_cli_nofile');
    try {
      const r = await migrate(r1, 'pre', db, { MIGRATE_RESULT_FILE: '' });
      expect(r.code).toBe(0);
      expect(r.resultText).toBeUndefined();
    } finally {
      await db.drop();
    }
  });
});

describe('SIGTERM: a superseded migration Job being stopped', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('migrate_cli_sigterm');
    expect((await migrate(r1, 'pre', db)).code).toBe(0);
  });
  afterAll(async () => {
    await db.drop();
  });

  /** Statements of the slow migration the server is running, from any session. */
  async function sleeping(): Promise<number> {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const r = await c.query("select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(120)%' and pid <> pg_backend_pid()");
      return r.rows[0].n as number;
    } finally {
      await c.end();
    }
  }

  it('when pre is stopped mid-migration, then it ends its database session at once: exit 143, result stopped, nothing applied, the next run migrates without waiting', async () => {
    const run = start(slow, 'pre', db);
    await waitFor('the slow migration running on the server', async () => ((await sleeping()) > 0 ? true : undefined), 30_000, 100);
    const signalled = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(r.code).toBe(143);
    expect(r.result).toMatchObject({ command: 'pre', result: 'stopped' });
    expect(r.result!.message).toMatch(/^stopped by SIGTERM: ended [12] database session\(s\)/);
    // the server-side statement ended with the process (not only the client's socket)
    expect(await sleeping()).toBe(0);
    expect(await columns(db)).not.toContain('note');
    const next = await migrate(r2, 'pre', db, { MIGRATION_WAIT_MS: '2000' });
    expect(next.code).toBe(0);
    expect(next.result).toMatchObject({ result: 'applied', applied: ['104_add_note', '105_add_rating'] });
  });
});
