// Postgres stalls while the app runs: every process of the server is frozen with SIGSTOP, so TCP
// stays open and nothing answers (a frozen VM, a partition). Every request must answer 503 within
// about the statement timeout + 1 s, never hang and never 500; /livez stays instant; /health says
// so within HEALTH_TIMEOUT_MS; after SIGCONT the same app recovers. Own server: freezing it
// disturbs no other suite.
import request from 'supertest';
import { compose, type Composition } from '../../app/src/compose';
import { migrateLatest } from '../../app/src/data/migrations';
import { PostgresCluster } from '../harness/postgres/cluster';
import { waitFor } from '../harness/wait';
import { dbConfig, memoryLogger } from './support';

// Long enough that /livez, answered while the data requests wait, is not outrun by their timeouts on
// a loaded CI machine (at 1,500 ms a loaded run saw /livez answer only after 9 of them had settled).
const STATEMENT_TIMEOUT_MS = 3000;
const HEALTH_TIMEOUT_MS = 1000;

let pg: PostgresCluster;
let c: Composition;
let itemId: number;
const mem = memoryLogger();

beforeAll(async () => {
  pg = await PostgresCluster.create();
  c = compose({
    db: dbConfig(pg.url, { poolMax: 4, connectTimeoutMs: 1000, acquireTimeoutMs: STATEMENT_TIMEOUT_MS, statementTimeoutMs: STATEMENT_TIMEOUT_MS }),
    logger: mem.logger,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
  });
  await migrateLatest(c.knex);
  itemId = (await request(c.app).post('/items').send({ name: 'kept', description: 'survives a stall' }).expect(201)).body.id;
}, 60000);

afterAll(async () => {
  pg?.thaw();
  await c?.close();
  await pg?.destroy();
});

interface Timed {
  status: number;
  body: unknown;
  ms: number;
}

async function timed(run: () => request.Test): Promise<Timed> {
  const start = Date.now();
  const res = await run();
  return { status: res.status, body: res.body as unknown, ms: Date.now() - start };
}

function everyDataRoute(): Promise<Timed>[] {
  return [
    ...Array.from({ length: 6 }, () => timed(() => request(c.app).get(`/items/${itemId}`))),
    timed(() => request(c.app).post('/items').send({ name: 'n', description: 'frozen' })),
    timed(() => request(c.app).get('/items?limit=5')),
    timed(() => request(c.app).patch(`/items/${itemId}`).send({ price: 3 })),
    timed(() => request(c.app).put(`/items/${itemId}`).send({ name: 'kept', description: 'survives a stall' })),
    timed(() => request(c.app).delete('/items/999999')),
  ];
}

it('when every Postgres process is frozen, then each request answers 503 within about the statement timeout + 1 s, /livez answers while they wait and /health is 503 within its timeout', async () => {
  await Promise.all(Array.from({ length: 4 }, () => request(c.app).get(`/items/${itemId}`).expect(200))); // open pool connections
  expect(pg.freeze().length).toBeGreaterThan(1); // postmaster and its backends

  let settled = 0;
  const data = everyDataRoute().map((p) => p.finally(() => settled++));
  await new Promise((r) => setTimeout(r, 100));
  const livez = await timed(() => request(c.app).get('/livez'));
  const settledAtLivez = settled;
  const health = await timed(() => request(c.app).get('/health'));
  const first = await Promise.all(data);

  expect(livez).toMatchObject({ status: 200 });
  expect(settledAtLivez).toBe(0); // answered while every data request still waited on the database
  expect(health.status).toBe(503);
  expect(health.body).toMatchObject({ status: 'unhealthy', database: 'disconnected' });
  expect(health.ms).toBeLessThan(HEALTH_TIMEOUT_MS + 1000);
  for (const r of first) {
    expect(r).toMatchObject({ status: 503, body: { detail: 'Database unavailable' } });
    expect(r.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000 + 1500);
  }

  // The timed-out connections are not reused; new ones cannot connect: still 503, still bounded.
  const second = await Promise.all(everyDataRoute());
  for (const r of second) {
    expect(r).toMatchObject({ status: 503, body: { detail: 'Database unavailable' } });
    expect(r.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000 + 1500);
  }
  await request(c.app).get('/readyz').expect(503);
  expect((await request(c.metricsApp).get('/metrics').expect(200)).text).toMatch(/^db_up 0$/m);
}, 30000);

it('when the processes are resumed, then the same app serves again without a restart', async () => {
  pg.thaw();
  await waitFor('/health 200 after SIGCONT', async () => ((await request(c.app).get('/health')).status === 200 ? true : undefined), 10000, 200);
  for (let i = 0; i < 8; i++) expect((await request(c.app).get(`/items/${itemId}`).expect(200)).body.name).toBe('kept');
  await request(c.app).post('/items').send({ name: 'after', description: 'thawed' }).expect(201);
}, 30000);
