// When the sentiment model failed to load, the service still starts: predictions and writes that
// need the model answer 503, health says why, reads keep working. Also: CORS when configured.
import request from 'supertest';
import { startTestApp, type TestApp } from './support';

describe('model failed to load', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('nomodel', {
      loadModel: () => {
        throw new Error('model tables missing');
      },
    });
    await t.knex('items').insert({ name: 'old', description: 'stored before', price: 1, sentiment: 'neutral', sentiment_score: 0 });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('when predicting or creating, then 503 with a JSON detail', async () => {
    expect((await request(t.app).post('/predict').send({ text: 'hello' }).expect(503)).body).toEqual({ detail: 'Sentiment model not loaded' });
    await request(t.app).post('/predict/batch').send({ texts: ['a'] }).expect(503);
    await request(t.app).get('/model/info').expect(503);
    await request(t.app).post('/items').send({ name: 'n', description: 'd' }).expect(503);
  });

  it('when checking health, then /health and /readyz are 503 naming the model, /livez 200', async () => {
    const health = await request(t.app).get('/health').expect(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', database: 'connected', model: 'not loaded' });
    await request(t.app).get('/readyz').expect(503);
    await request(t.app).get('/livez').expect(200);
  });

  it('when reading items, then they are served', async () => {
    expect((await request(t.app).get('/items').expect(200)).body).toHaveLength(1);
    expect(t.logs.some((l) => l.level === 'error' && l.msg === 'sentiment model failed to load')).toBe(true);
  });
});

describe('CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('cors', { corsOrigins: ['https://ui.example'] });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('when an allowed origin asks, then it is allowed; another origin is not', async () => {
    const ok = await request(t.app).get('/livez').set('Origin', 'https://ui.example').expect(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://ui.example');
    const other = await request(t.app).get('/livez').set('Origin', 'https://evil.example').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when CORS is not configured, then no CORS headers are sent', async () => {
    const plain = await startTestApp('nocors');
    try {
      const res = await request(plain.app).get('/livez').set('Origin', 'https://ui.example').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await plain.stop();
    }
  });
});

describe('unexpected errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('broken');
    await t.knex.schema.dropTable('items'); // every items query now fails inside Postgres
  });
  afterAll(async () => {
    await t.stop();
  });

  it('when a query fails unexpectedly, then 500 {"detail":"Internal Server Error"} with no SQL, and an error log with the cause', async () => {
    for (const res of [await request(t.app).get('/items'), await request(t.app).get('/items/1'), await request(t.app).post('/items').send({ name: 'n', description: 'd' })]) {
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ detail: 'Internal Server Error' });
      expect(res.text).not.toMatch(/items|relation|select|insert/i);
    }
    const logged = t.logs.filter((l) => l.level === 'error' && l.status === 500);
    expect(logged).toHaveLength(3);
    expect((logged[0]?.err as { message: string; code: string }).message).toMatch(/relation "items" does not exist/);
    expect((logged[0]?.err as { message: string; code: string }).code).toBe('42P01');
    expect(logged[0]).toHaveProperty('reqId');
  });
});
