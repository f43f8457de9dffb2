// Postgres stops while the app runs: requests fail fast with 503, /health says so within ~2 s, the
// process survives; when Postgres is back the app recovers by itself. This file has its own
// PostgreSQL server (on its own port) so stopping it disturbs no other suite.
import request from 'supertest';
import { compose, type Composition } from '../../app/src/compose';
import { migrateLatest } from '../../app/src/data/migrations';
import { PostgresCluster } from '../harness/postgres/cluster';
import { dbConfig, memoryLogger } from './support';

let pg: PostgresCluster;
let c: Composition;
let logs: Record<string, unknown>[];
let itemId: number;

beforeAll(async () => {
  pg = await PostgresCluster.create();
  const mem = memoryLogger();
  logs = mem.logs;
  c = compose({ db: dbConfig(pg.url, { connectTimeoutMs: 1000, acquireTimeoutMs: 1500 }), logger: mem.logger, healthTimeoutMs: 1500 });
  await migrateLatest(c.knex);
  itemId = (await request(c.app).post('/items').send({ name: 'kept', description: 'survives restarts' }).expect(201)).body.id;
}, 60000);

afterAll(async () => {
  await c?.close();
  await pg?.destroy();
});

async function timed(run: () => Promise<request.Response>): Promise<[request.Response, number]> {
  const start = Date.now();
  const res = await run();
  return [res, Date.now() - start];
}

it('when Postgres stops, then requests get 503 fast, /health reports it within 2 s, and liveness stays up', async () => {
  await request(c.app).get(`/items/${itemId}`).expect(200); // warm pool connections, which the stop will break
  await pg.stop();

  const [read, readMs] = await timed(() => request(c.app).get(`/items/${itemId}`));
  expect(read.status).toBe(503);
  expect(read.body).toEqual({ detail: 'Database unavailable' });
  expect(readMs).toBeLessThan(2500);

  const [create] = await timed(() => request(c.app).post('/items').send({ name: 'x', description: 'y' }));
  expect(create.status).toBe(503);

  const [health, healthMs] = await timed(() => request(c.app).get('/health'));
  expect(health.status).toBe(503);
  expect(health.body).toEqual({ status: 'unhealthy', database: 'disconnected', model: 'loaded', error: expect.any(String) });
  expect(health.body.error).not.toMatch(/password|127\.0\.0\.1|select/i);
  expect(healthMs).toBeLessThan(2500);

  await request(c.app).get('/readyz').expect(503);
  await request(c.app).get('/livez').expect(200);
  await request(c.app).post('/predict').send({ text: 'still works' }).expect(200); // no DB needed

  const metrics = (await request(c.metricsApp).get('/metrics').expect(200)).text;
  expect(metrics).toMatch(/^db_up 0$/m);
  expect(logs.some((l) => l.level === 'error' && l.status === 503 && l.route === '/items/:id')).toBe(true);
});

it('when Postgres comes back, then the same app serves again without a restart', async () => {
  await pg.start();
  const deadline = Date.now() + 15000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await request(c.app).get('/health')).status;
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(status).toBe(200);
  expect((await request(c.app).get(`/items/${itemId}`).expect(200)).body.name).toBe('kept');
  await request(c.app).post('/items').send({ name: 'after', description: 'recovered' }).expect(201);
  expect((await request(c.metricsApp).get('/metrics')).text).toMatch(/^db_up 1$/m);
});
