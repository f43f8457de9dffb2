// Request ids everywhere (issue 31 item 8): a line logged from the data layer while a request is
// served carries that request's X-Request-Id, concurrent requests do not mix, and work outside a
// request carries none.
import request from 'supertest';
import { compose, type Composition } from '../../app/src/compose';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { migrateLatest } from '../../app/src/data/migrations';
import { dbConfig, memoryLogger } from './support';

let db: TestDatabase;
let c: Composition;
let logs: Record<string, unknown>[];
beforeAll(async () => {
  db = await createTestDatabase('reqids');
  const mem = memoryLogger();
  logs = mem.logs;
  c = compose({ db: dbConfig(db.url), logger: mem.logger });
  await migrateLatest(c.knex);
  // A data-layer log line: one per query Knex runs (from inside the query call).
  c.knex.on('query', (q: { sql: string }) => mem.logger.info({ sql: q.sql.slice(0, 30) }, 'data layer: query'));
});
afterAll(async () => {
  await c.close();
  await db.drop();
});

const dataLines = () => logs.filter((l) => l.msg === 'data layer: query');

it('when concurrent requests each send an X-Request-Id, then each data-layer line carries the id of the request it served; outside a request there is none', async () => {
  const created = (await request(c.app).post('/v1/items').set('X-Request-Id', 'create-1').send({ name: 'traced', description: 'ok' }).expect(201)).body;
  const before = dataLines().length;
  const ids = Array.from({ length: 8 }, (_, i) => `trace-${i}`);
  await Promise.all(
    ids.map((id, i) =>
      (i % 2 ? request(c.app).get('/v1/items?name=traced') : request(c.app).patch(`/v1/items/${created.id}`).send({ price: i })).set('X-Request-Id', id).expect(200),
    ),
  );
  const lines = dataLines().slice(before);
  expect(lines.length).toBeGreaterThanOrEqual(ids.length);
  expect(new Set(lines.map((l) => l.reqId))).toEqual(new Set(ids));
  // The access line of each request carries the same id.
  for (const id of ids) expect(logs.some((l) => l.msg === 'request' && l.reqId === id && l.status === 200)).toBe(true);
  // A generated id (none sent) is returned and logged the same way.
  const res = await request(c.app).get('/v1/items?name=traced').expect(200);
  const generated = res.headers['x-request-id'] as string;
  expect(generated).toMatch(/^[0-9a-f-]{36}$/);
  expect(dataLines().some((l) => l.reqId === generated)).toBe(true);
  // Failure case: a query outside any request is logged without a request id.
  await c.knex('items').count();
  const last = dataLines().at(-1)!;
  expect(last.reqId).toBeUndefined();
});
