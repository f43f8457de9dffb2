// /metrics: the names the monitoring stack relies on, route templates (never raw ids) as labels.
import { Client } from 'pg';
import request from 'supertest';
import { UNMATCHED_ROUTE } from '../../app/src/observability/metrics';
import { metricValue as sample } from '../harness/metrics.cjs';
import { adminUrl } from '../harness/postgres';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('metrics');
});
afterAll(async () => {
  await t.stop();
});


it('when requests hit templated, unmatched and failing routes, then labels use templates and fixed values', async () => {
  const id = (await request(t.app).post('/items').send({ name: 'a', description: 'I love it' })).body.id;
  await request(t.app).get(`/items/${id}`).expect(200);
  await request(t.app).get('/items/987654').expect(404);
  await request(t.app).get('/items/abc').expect(422);
  await request(t.app).get('/no/such/route/12345').expect(404);
  await request(t.app).post('/predict').send({ text: 'Nothing works' }).expect(200);
  await request(t.app).post('/items').set('Content-Type', 'application/json').send('{bad').expect(422);
  await request(t.app).get('/docs/').expect(200);
  await request(t.app).get('/docs/swagger-ui.css').expect(200);

  const res = await request(t.metricsApp).get('/metrics').expect(200).expect('Content-Type', /text\/plain/);
  const m = res.text;
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '200' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '404' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '422' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status_code: '404' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'POST', route: '/items', status_code: '422' })).toBe(1);
  expect(sample(m, 'http_request_duration_seconds_count', { method: 'POST', route: '/items', status_code: '201' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/docs', status_code: '200' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/docs/swagger-ui.css', status_code: '200' })).toBe(1);
  expect(sample(m, 'http_request_duration_seconds_bucket', { route: '/items/:id', status_code: '200', le: '+Inf' })).toBe(1);
  // No raw ids or paths in any label.
  expect(m).not.toMatch(/route="[^"]*(987654|12345|abc|\/items\/\d)/);

  expect(sample(m, 'items_created_total')).toBe(1);
  expect(sample(m, 'sentiment_predictions_total', { sentiment: 'positive' })).toBe(1); // the item's description
  expect(sample(m, 'sentiment_predictions_total', { sentiment: 'negative' })).toBe(1); // /predict
  expect(sample(m, 'db_up')).toBe(1);
  for (const state of ['total', 'idle', 'waiting']) expect(sample(m, 'db_pool_connections', { state })).toEqual(expect.any(Number));
  expect(sample(m, 'db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  // Default Node metrics, including event loop lag.
  expect(m).toMatch(/^nodejs_eventloop_lag_seconds /m);
  expect(m).toMatch(/^process_cpu_user_seconds_total /m);
});

it('when the app is created twice in one process, then registries do not collide: each counts only its own requests, each family once', async () => {
  const other = await startTestApp('metrics2');
  try {
    const mine = async (app: TestApp) => sample((await request(app.metricsApp).get('/metrics').expect(200)).text, 'http_requests_total', { route: '/health', status_code: '200' }) ?? 0;
    const [firstBefore, otherBefore] = [await mine(t), await mine(other)];
    await request(other.app).get('/health').expect(200);
    await request(other.app).get('/health').expect(200);
    expect(await mine(other)).toBe(otherBefore + 2);
    expect(await mine(t)).toBe(firstBefore);
    const text = (await request(other.metricsApp).get('/metrics').expect(200)).text;
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(families.length).toBeGreaterThan(10);
    expect(new Set(families).size).toBe(families.length);
  } finally {
    await other.stop();
  }
});

it('when probes and scrapes arrive, then they are not counted in the request metrics the alerts use; /health is', async () => {
  for (let i = 0; i < 3; i++) {
    await request(t.app).get('/livez').expect(200);
    await request(t.app).get('/readyz').expect(200);
    await request(t.metricsApp).get('/metrics').expect(200);
  }
  await request(t.app).get('/health').expect(200);
  const m = (await request(t.metricsApp).get('/metrics').expect(200)).text;
  expect(m).not.toMatch(/^http_request[^\n]*route="\/(livez|readyz|metrics)"/m);
  expect(sample(m, 'http_requests_total', { route: '/health', status_code: '200' })).toBeGreaterThanOrEqual(1);
  expect(t.logs.filter((l) => l.msg === 'request' && ['/livez', '/readyz', '/metrics'].includes(l.route as string))).toEqual([]); // debug level
});

it('when the database stops accepting connections after a health check, then a scrape reports that recent result instead of asking the database', async () => {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await request(t.app).get('/health').expect(200);
    await admin.query(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [t.db.name]);
    expect(sample((await request(t.metricsApp).get('/metrics')).text, 'db_up')).toBe(1); // no round trip: the last check said up
    await request(t.app).get('/health').expect(503);
    expect(sample((await request(t.metricsApp).get('/metrics')).text, 'db_up')).toBe(0);
  } finally {
    await admin.query(`ALTER DATABASE "${t.db.name}" ALLOW_CONNECTIONS true`);
    await admin.end();
  }
  await request(t.app).get('/health').expect(200);
  expect(sample((await request(t.metricsApp).get('/metrics')).text, 'db_up')).toBe(1);
});
