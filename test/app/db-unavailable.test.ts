// Every way the database can be unavailable answers 503 {"detail":"Database unavailable"}, never
// 500, each caused for real: a server that accepts TCP but never answers (connect timeout), a
// role over its connection limit (53300), a statement timeout (57014), a lock timeout (55P03), an
// administrator terminating the backend (57P01) and a connection reset by the network. The 503's
// log line names the cause.
import net from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { compose, type Composition } from '../../app/src/compose';
import type { DatabaseConfig } from '../../app/src/config';
import { migrateLatest } from '../../app/src/data/migrations';
import { adminUrl, createTestDatabase, type TestDatabase } from '../harness/postgres';
import { dbConfig, memoryLogger } from './support';

let db: TestDatabase;
let itemId: number;
const apps: Composition[] = [];
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function app(url: string, overrides: Partial<DatabaseConfig> = {}) {
  const mem = memoryLogger();
  const c = compose({ db: dbConfig(url, { connectTimeoutMs: 1000, acquireTimeoutMs: 1500, ...overrides }), logger: mem.logger, healthTimeoutMs: 1000 });
  apps.push(c);
  /** The code (SQLSTATE or errno) or message of the cause logged with the 503. */
  const causes = () => mem.logs.filter((l) => l.status === 503).map((l) => {
    const cause = l.cause as { code?: string; message?: string } | undefined;
    return cause?.code ?? cause?.message;
  });
  return { c, causes };
}

/** Holds ACCESS EXCLUSIVE on items until release(): reads of items then wait inside Postgres. */
async function lockItems(): Promise<{ release(): Promise<void> }> {
  const locker = new Client({ connectionString: db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
  return {
    async release() {
      await locker.query('COMMIT');
      await locker.end();
    },
  };
}

function listen(onConnection: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer((s) => {
    sockets.push(s);
    onConnection(s);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

beforeAll(async () => {
  db = await createTestDatabase('unavailable');
  const { c } = app(db.url);
  await migrateLatest(c.knex);
  itemId = (await request(c.app).post('/items').send({ name: 'kept', description: 'x' }).expect(201)).body.id;
});

afterAll(async () => {
  await Promise.all(apps.map((c) => c.close()));
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  await sql(adminUrl(), 'DROP ROLE IF EXISTS unavailable_limited');
  await db.drop();
});

async function expect503(c: Composition): Promise<number> {
  const start = Date.now();
  const res = await request(c.app).get(`/items/${itemId}`);
  expect({ status: res.status, body: res.body as unknown }).toEqual({ status: 503, body: { detail: 'Database unavailable' } });
  return Date.now() - start;
}

it('when the server accepts TCP but never answers, then 503 after the connect timeout', async () => {
  const silent: net.Socket[] = [];
  const port = await listen((s) => silent.push(s));
  const { c, causes } = app(withPort(db.url, port));
  expect(await expect503(c)).toBeLessThan(2500);
  expect(causes()[0]).toMatch(/timeout/i);
  for (const s of silent) s.destroy();
});

it('when the role is over its connection limit (53300), then 503', async () => {
  await sql(adminUrl(), "CREATE ROLE unavailable_limited LOGIN PASSWORD 'pw' CONNECTION LIMIT 0");
  const u = new URL(db.url);
  u.username = 'unavailable_limited';
  u.password = 'pw';
  const { c, causes } = app(u.toString());
  await expect503(c);
  expect(causes()).toEqual(['53300']);
});

it('when a query exceeds the statement timeout (57014), then 503', async () => {
  const { c, causes } = app(db.url, { statementTimeoutMs: 300 });
  const lock = await lockItems();
  try {
    await expect503(c);
  } finally {
    await lock.release();
  }
  expect(causes()).toEqual(['57014']);
  await request(c.app).get(`/items/${itemId}`).expect(200);
});

it('when a lock is not available within lock_timeout (55P03), then 503', async () => {
  await sql(adminUrl(), `ALTER DATABASE "${db.name}" SET lock_timeout = '200ms'`);
  const { c, causes } = app(db.url);
  const lock = await lockItems();
  try {
    await expect503(c);
  } finally {
    await lock.release();
    await sql(adminUrl(), `ALTER DATABASE "${db.name}" RESET lock_timeout`);
  }
  expect(causes()).toEqual(['55P03']);
});

it('when an administrator terminates the backend mid-query (57P01), then 503, and the next request is served', async () => {
  const { c, causes } = app(db.url);
  const lock = await lockItems();
  const pending = expect503(c);
  await new Promise((r) => setTimeout(r, 300));
  await sql(adminUrl(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND application_name = 'fastapiapp' AND wait_event_type = 'Lock'`);
  await pending;
  await lock.release();
  expect(causes()).toEqual(['57P01']);
  await request(c.app).get(`/items/${itemId}`).expect(200);
});

it('when the network resets the connection mid-query, then 503, and the next request is served', async () => {
  const target = new URL(db.url);
  const pairs: net.Socket[] = [];
  const port = await listen((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.push(upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => {});
    upstream.on('error', () => {});
    pairs.push(client);
  });
  const { c, causes } = app(withPort(db.url, port));
  await request(c.app).get(`/items/${itemId}`).expect(200);
  const lock = await lockItems();
  const pending = expect503(c);
  await new Promise((r) => setTimeout(r, 300));
  for (const s of pairs.splice(0)) s.resetAndDestroy();
  await pending;
  await lock.release();
  expect(causes()[0]).toMatch(/ECONNRESET|Connection terminated/);
  await request(c.app).get(`/items/${itemId}`).expect(200);
});
