// /metrics: the names the monitoring stack relies on, route templates (never raw ids) as labels.
import request from 'supertest';
import { UNMATCHED_ROUTE } from '../../app/src/observability/metrics';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('metrics');
});
afterAll(async () => {
  await t.stop();
});

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

it('when requests hit templated, unmatched and failing routes, then labels use templates and fixed values', async () => {
  const id = (await request(t.app).post('/items').send({ name: 'a', description: 'I love it' })).body.id;
  await request(t.app).get(`/items/${id}`).expect(200);
  await request(t.app).get('/items/987654').expect(404);
  await request(t.app).get('/items/abc').expect(422);
  await request(t.app).get('/no/such/route/12345').expect(404);
  await request(t.app).post('/predict').send({ text: 'Nothing works' }).expect(200);
  await request(t.app).post('/items').set('Content-Type', 'application/json').send('{bad').expect(400);
  await request(t.app).get('/docs/').expect(200);
  await request(t.app).get('/docs/swagger-ui.css').expect(200);

  const res = await request(t.app).get('/metrics').expect(200).expect('Content-Type', /text\/plain/);
  const m = res.text;
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '200' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '404' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '422' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: UNMATCHED_ROUTE, status_code: '404' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'POST', route: '/items', status_code: '400' })).toBe(1);
  expect(sample(m, 'http_request_duration_seconds_count', { method: 'POST', route: '/items', status_code: '201' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/docs', status_code: '200' })).toBe(1);
  expect(sample(m, 'http_requests_total', { method: 'GET', route: '/docs/*', status_code: '200' })).toBe(1);
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

it('when the app is created twice in one process, then registries do not collide', async () => {
  const other = await startTestApp('metrics2');
  try {
    await request(other.app).get('/metrics').expect(200);
  } finally {
    await other.stop();
  }
});
