// The lab's wire contract, exercised through createApp() on a real, migrated Postgres database.
import request from 'supertest';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('contract');
});
afterAll(async () => {
  await t.stop();
});

describe('service status', () => {
  it('when GET /, then it reports online with service name and version', async () => {
    const res = await request(t.app).get('/').expect(200);
    expect(res.body).toEqual({ status: 'online', service: 'fastapiapp', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when the database and model are fine, then /health, /livez and /readyz answer 200', async () => {
    expect((await request(t.app).get('/health').expect(200)).body).toEqual({ status: 'healthy', database: 'connected', model: 'loaded' });
    expect((await request(t.app).get('/livez').expect(200)).body).toEqual({ status: 'alive' });
    expect((await request(t.app).get('/readyz').expect(200)).body).toMatchObject({ status: 'ready' });
  });

  it('when the caller sends a sane X-Request-Id, then it is echoed and logged', async () => {
    await request(t.app).get('/health').set('X-Request-Id', 'abc-123').expect('X-Request-Id', 'abc-123');
    expect(t.logs.some((l) => l.reqId === 'abc-123' && l.route === '/health' && l.status === 200)).toBe(true);
  });
});

describe('items', () => {
  it('when an item is created, then 201 with Location and the stored item with its sentiment', async () => {
    const res = await request(t.app).post('/items').send({ name: 'Phone', description: 'Great phone, I love it!', price: 300 }).expect(201);
    expect(res.headers.location).toBe(`/items/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'Phone',
      description: 'Great phone, I love it!',
      price: 300,
      sentiment: 'positive',
      sentiment_score: expect.any(Number),
      created_at: expect.any(String),
    });
    expect(res.body.sentiment_score).toBeGreaterThan(0);
    expect(new Date(res.body.created_at).toString()).not.toBe('Invalid Date');
    const row = await t.knex('items').where('id', res.body.id).first();
    expect(row).toMatchObject({ name: 'Phone', price: 300, sentiment: 'positive' });
  });

  it('when price is omitted, then it defaults to 0', async () => {
    const res = await request(t.app).post('/items').send({ name: 'Cable', description: 'Nothing works.' }).expect(201);
    expect(res.body).toMatchObject({ price: 0, sentiment: 'negative' });
  });

  it('when reading an existing and a missing id, then 200 and 404 {"detail":"Item not found"}', async () => {
    const created = (await request(t.app).post('/items').send({ name: 'Lamp', description: 'It is a lamp.' })).body;
    expect((await request(t.app).get(`/items/${created.id}`).expect(200)).body).toEqual(created);
    expect((await request(t.app).get('/items/999999').expect(404)).body).toEqual({ detail: 'Item not found' });
  });

  it('when listing, then limit, offset and the sentiment filter apply, ordered by id', async () => {
    const all = (await request(t.app).get('/items').expect(200)).body as { id: number; sentiment: string }[];
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.map((i) => i.id)).toEqual([...all.map((i) => i.id)].sort((a, b) => a - b));
    const page = (await request(t.app).get('/items?limit=1&offset=1').expect(200)).body;
    expect(page).toEqual([all[1]]);
    const negatives = (await request(t.app).get('/items?sentiment=negative').expect(200)).body as { sentiment: string }[];
    expect(negatives.length).toBeGreaterThan(0);
    expect(negatives.every((i) => i.sentiment === 'negative')).toBe(true);
  });

  it('when paging with the keyset cursor after_id, then the pages are those of offset paging, with the filter, and the cursor is documented', async () => {
    for (let i = 0; i < 5; i += 1) await request(t.app).post('/items').send({ name: `page ${i}`, description: i % 2 ? 'I love it' : 'Awful.' }).expect(201);
    const all = (await request(t.app).get('/items?limit=1000').expect(200)).body as { id: number; sentiment: string }[];
    const pages: { id: number }[][] = [];
    for (let after = 0; ; ) {
      const page = (await request(t.app).get(`/items?limit=2&after_id=${after}`).expect(200)).body as { id: number }[];
      if (page.length === 0) break;
      pages.push(page);
      after = page[page.length - 1]!.id;
    }
    expect(pages.flat()).toEqual(all);
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    expect((await request(t.app).get(`/items?limit=2&offset=2`).expect(200)).body).toEqual(all.slice(2, 4));
    const positives = all.filter((i) => i.sentiment === 'positive');
    expect((await request(t.app).get(`/items?sentiment=positive&after_id=${positives[0]!.id}`).expect(200)).body).toEqual(positives.slice(1));
    expect((await request(t.app).get(`/items?after_id=${all[0]!.id}&offset=1&limit=1`).expect(200)).body).toEqual([all[2]]);
    const bad = (await request(t.app).get('/items?after_id=-1').expect(422)).body;
    expect(bad.detail[0]).toMatchObject({ loc: ['query', 'after_id'], type: 'greater_than_equal' });
    expect((await request(t.app).get('/items?after_id=abc').expect(422)).body.detail[0].loc).toEqual(['query', 'after_id']);
    const params = (await request(t.app).get('/openapi.json')).body.paths['/items'].get.parameters as { name: string; schema: { description?: string } }[];
    expect(params.map((p) => p.name)).toEqual(['limit', 'offset', 'sentiment', 'name', 'after_id']);
    expect(params[4]!.schema.description).toMatch(/keyset cursor/i);
  });

  it('when PATCHing the description, then the sentiment is recomputed; other fields stay', async () => {
    const created = (await request(t.app).post('/items').send({ name: 'Chair', description: 'Excellent, comfortable chair', price: 50 })).body;
    const res = await request(t.app).patch(`/items/${created.id}`).send({ description: 'Terrible, it broke after a day.' }).expect(200);
    expect(res.body).toMatchObject({ id: created.id, name: 'Chair', price: 50, sentiment: 'negative' });
    const priceOnly = await request(t.app).patch(`/items/${created.id}`).send({ price: 60 }).expect(200);
    expect(priceOnly.body).toMatchObject({ price: 60, sentiment: 'negative', description: 'Terrible, it broke after a day.' });
  });

  it('when PUTting, then every field is replaced (price back to its default)', async () => {
    const created = (await request(t.app).post('/items').send({ name: 'Desk', description: 'ok', price: 70 })).body;
    const res = await request(t.app).put(`/items/${created.id}`).send({ name: 'Desk 2', description: 'Wonderful desk' }).expect(200);
    expect(res.body).toMatchObject({ id: created.id, name: 'Desk 2', price: 0, sentiment: 'positive' });
    await request(t.app).put('/items/999999').send({ name: 'x', description: 'y' }).expect(404, { detail: 'Item not found' });
  });

  it('when deleting, then 204, then 404 on read and on a second delete', async () => {
    const created = (await request(t.app).post('/items').send({ name: 'Temp', description: 'temp' })).body;
    const res = await request(t.app).delete(`/items/${created.id}`).expect(204);
    expect(res.text).toBe('');
    await request(t.app).get(`/items/${created.id}`).expect(404);
    await request(t.app).delete(`/items/${created.id}`).expect(404, { detail: 'Item not found' });
  });
});

describe('sentiment endpoints', () => {
  it('when predicting, then a label, a confidence in 0..1 and a score', async () => {
    const res = await request(t.app).post('/predict').send({ text: 'This is absolutely wonderful' }).expect(200);
    expect(res.body).toEqual({ sentiment: 'positive', confidence: expect.any(Number), score: expect.any(Number) });
    expect(res.body.confidence).toBeGreaterThan(0.5);
    expect(res.body.confidence).toBeLessThanOrEqual(1);
  });

  it('when predicting a batch, then predictions come back in input order', async () => {
    const res = await request(t.app).post('/predict/batch').send({ texts: ['I love it', 'Nothing works', 'The box is blue.'] }).expect(200);
    expect(res.body.predictions.map((p: { sentiment: string }) => p.sentiment)).toEqual(['positive', 'negative', 'neutral']);
  });

  it('when asking for model info, then name, version, kind, labels and load time', async () => {
    const res = await request(t.app).get('/model/info').expect(200);
    expect(res.body).toEqual({
      name: expect.any(String),
      version: expect.any(String),
      kind: expect.any(String),
      labels: ['positive', 'negative', 'neutral'],
      loaded_at: expect.any(String),
      load_time_ms: expect.any(Number),
    });
  });
});

describe('docs', () => {
  it('when fetching /openapi.json, then an OpenAPI 3.1 document listing the routes', async () => {
    const res = await request(t.app).get('/openapi.json').expect(200).expect('Content-Type', /json/);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/', '/health', '/items', '/items/{item_id}', '/predict', '/predict/batch', '/model/info']));
    expect(res.body.paths['/metrics']).toBeUndefined(); // served on METRICS_PORT only
  });

  it('when generating a client from /openapi.json, then every operation has the operationId FastAPI gave the lab\'s handler', async () => {
    const paths = (await request(t.app).get('/openapi.json').expect(200)).body.paths as Record<string, Record<string, { operationId?: string }>>;
    const ids = Object.values(paths).flatMap((ops) => Object.entries(ops).filter(([k]) => k !== 'parameters' && k !== 'servers').map(([, op]) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && /^[A-Za-z0-9_]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(paths['/items']!.post!.operationId).toBe('create_item_items_post');
    expect(paths['/items']!.get!.operationId).toBe('read_items_items_get');
    expect(paths['/items/{item_id}']!.get!.operationId).toBe('read_item_items__item_id__get');
    expect(paths['/items/{item_id}']!.delete!.operationId).toBe('delete_item_items__item_id__delete');
    expect(paths['/predict/batch']!.post!.operationId).toBe('predict_batch_predict_batch_post');
    expect(paths['/']!.get!.operationId).toBe('root__get');
  });

  it('when opening /docs, then Swagger UI is served locally (page, bundle and init script)', async () => {
    const page = await request(t.app).get('/docs').expect(200).expect('Content-Type', /html/);
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    const bundle = await request(t.app).get('/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.text.length).toBeGreaterThan(100000);
    expect((await request(t.app).get('/docs/init.js').expect(200)).text).toContain('/openapi.json');
  });
});
