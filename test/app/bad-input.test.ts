// Every bad input gets a JSON `{"detail": ...}` 4xx: FastAPI-style 422s naming the field, 400 for
// malformed JSON, 413 over 1 MB, 415 for other content types, 404 for unknown routes. No stack
// traces, SQL or X-Powered-By in any of them.
import request from 'supertest';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
let existingId: number;
beforeAll(async () => {
  t = await startTestApp('badinput');
  existingId = (await request(t.app).post('/items').send({ name: 'ok', description: 'fine' })).body.id;
});
afterAll(async () => {
  await t.stop();
});

function expectClean(res: request.Response): void {
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.text).not.toMatch(/at .+\.(js|ts):\d+|stack|select |insert into|knex|pg_/i);
  expect(res.body).toHaveProperty('detail');
}

function issue(res: request.Response, loc: (string | number)[]): { loc: unknown; msg: string; type: string } {
  const found = (res.body.detail as { loc: unknown; msg: string; type: string }[]).find((d) => JSON.stringify(d.loc) === JSON.stringify(loc));
  if (!found) throw new Error(`no issue at ${JSON.stringify(loc)} in ${res.text}`);
  expect(found).toEqual({ loc, msg: expect.any(String), type: expect.any(String) });
  return found;
}

describe('POST /items validation (422, FastAPI shape)', () => {
  const cases: [string, unknown, (string | number)[], string][] = [
    ['name missing', { description: 'd' }, ['body', 'name'], 'missing'],
    ['description missing', { name: 'n' }, ['body', 'description'], 'missing'],
    ['name not a string', { name: 42, description: 'd' }, ['body', 'name'], 'string_type'],
    ['name empty', { name: '  ', description: 'd' }, ['body', 'name'], 'string_too_short'],
    ['name too long', { name: 'x'.repeat(256), description: 'd' }, ['body', 'name'], 'string_too_long'],
    ['description too long', { name: 'n', description: 'x'.repeat(10001) }, ['body', 'description'], 'string_too_long'],
    ['price negative', { name: 'n', description: 'd', price: -1 }, ['body', 'price'], 'greater_than_equal'],
    ['price fractional', { name: 'n', description: 'd', price: 1.5 }, ['body', 'price'], 'int_type'],
    ['price a string', { name: 'n', description: 'd', price: '5' }, ['body', 'price'], 'int_type'],
    ['price over int32', { name: 'n', description: 'd', price: 2 ** 31 }, ['body', 'price'], 'less_than_equal'],
    ['body an array', [1, 2], ['body'], 'model_attributes_type'],
    ['body a string', 'hello', ['body'], 'model_attributes_type'],
  ];
  it.each(cases)('when %s, then 422 naming the field', async (_name, body, loc, type) => {
    const res = await request(t.app).post('/items').set('Content-Type', 'application/json').send(JSON.stringify(body)).expect(422);
    expectClean(res);
    expect(issue(res, loc).type).toBe(type);
  });

  it('when several fields are wrong, then every one is reported', async () => {
    const res = await request(t.app).post('/items').send({ name: 1, price: -3 }).expect(422);
    issue(res, ['body', 'name']);
    issue(res, ['body', 'description']);
    issue(res, ['body', 'price']);
  });

  it('when the body is missing, then 422 at ["body"]', async () => {
    const res = await request(t.app).post('/items').expect(422);
    expect(issue(res, ['body']).type).toBe('missing');
  });

  it('when validation fails, then nothing is stored', async () => {
    const before = await t.knex('items').count<{ count: string }[]>('* as count');
    await request(t.app).post('/items').send({ name: 'n', description: 'd', price: -1 }).expect(422);
    const after = await t.knex('items').count<{ count: string }[]>('* as count');
    expect(after[0]?.count).toBe(before[0]?.count);
  });
});

describe('transport-level errors', () => {
  it('when the JSON is malformed, then 422 json_invalid at the position of the error, as FastAPI answers, and nothing is stored', async () => {
    const before = await t.knex('items').count<{ count: string }[]>('* as count');
    const res = await request(t.app).post('/items').set('Content-Type', 'application/json').send('{"name": "x",').expect(422);
    expectClean(res);
    expect(res.body).toEqual({ detail: [{ loc: ['body', expect.any(Number)], msg: 'JSON decode error', type: 'json_invalid' }] });
    const at = (await request(t.app).post('/items').set('Content-Type', 'application/json').send('{"name" "x"}').expect(422)).body.detail[0].loc;
    expect(at).toEqual(['body', 8]);
    for (const path of ['/items/1', '/predict']) {
      const method = path === '/predict' ? 'post' : 'put';
      expect((await request(t.app)[method](path).set('Content-Type', 'application/json').send('nope').expect(422)).body.detail[0].type).toBe('json_invalid');
    }
    const after = await t.knex('items').count<{ count: string }[]>('* as count');
    expect(after[0]?.count).toBe(before[0]?.count);
  });

  it('when the body is over 1 MB, then 413', async () => {
    const big = JSON.stringify({ name: 'n', description: 'x'.repeat(1024 * 1024 + 10) });
    const res = await request(t.app).post('/items').set('Content-Type', 'application/json').send(big).expect(413);
    expectClean(res);
  });

  it.each([
    ['text/plain', 'name=x'],
    ['application/x-www-form-urlencoded', 'name=x&description=y'],
  ])('when the content type is %s, then 415', async (type, body) => {
    const res = await request(t.app).post('/items').set('Content-Type', type).send(body).expect(415);
    expectClean(res);
  });

  it('when /predict gets a non-JSON body, then 415 too', async () => {
    expectClean(await request(t.app).post('/predict').set('Content-Type', 'text/plain').send('hello').expect(415));
  });

  it.each(['/nope', '/items/1/extra', '/ITEMS/x/y'])('when the route %s does not exist, then 404 {"detail":"Not Found"}', async (path) => {
    const res = await request(t.app).get(path).expect(404);
    expect(res.body).toEqual({ detail: 'Not Found' });
  });

  it.each([
    ['post', '/health', 'GET, HEAD'],
    ['delete', '/items', 'GET, HEAD, POST'],
    ['post', '/items/1', 'DELETE, GET, HEAD, PATCH, PUT'],
    ['put', '/predict', 'POST'],
    ['patch', '/openapi.json', 'GET, HEAD'],
  ] as const)('when %s %s (a known path, another method), then 405 {"detail":"Method Not Allowed"} with Allow: %s', async (method, path, allow) => {
    const res = await request(t.app)[method](path).expect(405);
    expectClean(res);
    expect(res.body).toEqual({ detail: 'Method Not Allowed' });
    expect(res.headers.allow).toBe(allow);
  });
});

describe('text PostgreSQL cannot store (422 naming the field, never a 5xx)', () => {
  // Raw JSON so the escapes reach the server as written: JSON.parse turns them into the characters.
  const cases: [string, string, string, (string | number)[]][] = [
    ['NUL in the name', 'post', '{"name":"a\\u0000b","description":"d"}', ['body', 'name']],
    ['a lone high surrogate in the description', 'post', '{"name":"n","description":"x\\ud800y"}', ['body', 'description']],
    ['a lone low surrogate at the end', 'post', '{"name":"n\\udc00","description":"d"}', ['body', 'name']],
    ['NUL in a PATCH', 'patch', '{"description":"\\u0000"}', ['body', 'description']],
  ];
  it.each(cases)('when %s, then 422 at that field and nothing stored', async (_name, method, raw, loc) => {
    const before = Number((await t.knex('items').count<{ count: string }[]>('* as count'))[0]!.count);
    const res = await request(t.app)[method as 'post' | 'patch'](method === 'post' ? '/items' : `/items/${existingId}`).set('Content-Type', 'application/json').send(raw).expect(422);
    expectClean(res);
    expect(issue(res, loc).type).toBe('string_unicode');
    expect(Number((await t.knex('items').count<{ count: string }[]>('* as count'))[0]!.count)).toBe(before);
    expect((await request(t.app).get(`/items/${existingId}`).expect(200)).body.description).toBe('fine');
  });

  it('when predicting text with NUL or a lone surrogate, then 422 at the text', async () => {
    const one = await request(t.app).post('/predict').set('Content-Type', 'application/json').send('{"text":"good\\u0000"}').expect(422);
    expect(issue(one, ['body', 'text']).type).toBe('string_unicode');
    const batch = await request(t.app).post('/predict/batch').set('Content-Type', 'application/json').send('{"texts":["fine","\\ud83d"]}').expect(422);
    expect(issue(batch, ['body', 'texts', 1]).type).toBe('string_unicode');
  });

  it('when a name is 255 emoji (510 UTF-16 units), then it is stored whole: lengths count code points, as Pydantic and maxLength do', async () => {
    const name = '😀'.repeat(255);
    const created = await request(t.app).post('/items').send({ name, description: 'd' }).expect(201);
    expect((await request(t.app).get(`/items/${created.body.id}`).expect(200)).body.name).toBe(name);
    const tooLong = await request(t.app).post('/items').send({ name: name + '😀', description: 'd' }).expect(422);
    expect(issue(tooLong, ['body', 'name']).type).toBe('string_too_long');
  });
});

describe('the bound on scoring work per request', () => {
  it('when a batch holds 50,000 characters in total (5 of the longest texts), then it is scored', async () => {
    const res = await request(t.app).post('/predict/batch').send({ texts: Array.from({ length: 5 }, (_, i) => `${i} `.padEnd(10000, 'great ')) }).expect(200);
    expect(res.body.predictions).toHaveLength(5);
  });

  it('when a batch holds more than 50,000 characters in total, then 422 at ["body","texts"] before any scoring', async () => {
    const texts = Array.from({ length: 6 }, () => 'x'.repeat(10000));
    const res = await request(t.app).post('/predict/batch').send({ texts }).expect(422);
    expect(issue(res, ['body', 'texts']).type).toBe('too_long');
  });
});

describe('any request shape', () => {
  const bodies = ['{}', '[]', 'null', '0', '"s"', '{"name":{"a":1},"description":[]}', '{"texts":[null,{},[]]}', '{"text":1e400}', '{"name":"n","description":"d","price":1e400}', `${'['.repeat(5000)}${']'.repeat(5000)}`, '{"__proto__":{"x":1},"name":"n","description":"d"}', '\u00ff\u00fe', '{"name":"\\ud800\\udc00","description":"\\ud83d\\ude00"}'];
  const targets: ['post' | 'put' | 'patch', string][] = [['post', '/items'], ['put', '/items/1'], ['patch', '/items/1'], ['post', '/predict'], ['post', '/predict/batch']];
  it('when odd bodies go to every route that takes one, then never a 5xx', async () => {
    for (const [method, path] of targets) {
      for (const body of bodies) {
        const res = await request(t.app)[method](path).set('Content-Type', 'application/json').send(body);
        if (res.status >= 500) throw new Error(`${method} ${path} ${body.slice(0, 40)} -> ${res.status} ${res.text}`);
        expect(res.body).toHaveProperty(res.status < 300 ? 'id' in res.body ? 'id' : Object.keys(res.body)[0]! : 'detail');
      }
    }
  });

  it.each(['/items/%ff', '/items/%E0%A4%A', '/items?limit=%00', '/items?sentiment=%00', '/items?limit=1&limit=2', '/%00'])('when the URL is %s, then a 4xx JSON error', async (url) => {
    const res = await request(t.app).get(url);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectClean(res);
  });
});

describe('bad ids', () => {
  it.each(['abc', '-1', '1.5', '0', '123456789012345678901234567890', '1e3', '%20', '2147483648'])(
    'when the id is %s, then a 4xx JSON error and no 5xx',
    async (id) => {
      for (const method of ['get', 'delete'] as const) {
        const res = await request(t.app)[method](`/items/${id}`);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expectClean(res);
      }
      const put = await request(t.app).put(`/items/${id}`).send({ name: 'a', description: 'b' });
      expect(put.status).toBe(422);
      issue(put, ['path', 'item_id']);
      const patch = await request(t.app).patch(`/items/${id}`).send({ price: 1 });
      expect(patch.status).toBe(422);
    },
  );

  it('when PATCH has a wrong field, then 422 and the item is unchanged', async () => {
    const res = await request(t.app).patch(`/items/${existingId}`).send({ price: 'ten' }).expect(422);
    issue(res, ['body', 'price']);
    expect((await request(t.app).get(`/items/${existingId}`)).body.price).toBe(0);
  });
});

describe('list and predict parameters', () => {
  it.each([
    ['limit=0', ['query', 'limit']],
    ['limit=1001', ['query', 'limit']],
    ['limit=abc', ['query', 'limit']],
    ['offset=-1', ['query', 'offset']],
    ['sentiment=happy', ['query', 'sentiment']],
  ])('when GET /items?%s, then 422 naming the parameter', async (qs, loc) => {
    issue(await request(t.app).get(`/items?${qs}`).expect(422), loc);
  });

  it('when limit=1000, then it is accepted', async () => {
    await request(t.app).get('/items?limit=1000').expect(200);
  });

  it.each([
    [{}, ['body', 'text']],
    [{ text: '' }, ['body', 'text']],
    [{ text: 5 }, ['body', 'text']],
  ])('when /predict gets %j, then 422', async (body, loc) => {
    issue(await request(t.app).post('/predict').send(body).expect(422), loc);
  });

  it.each([
    [{}, ['body', 'texts']],
    [{ texts: 'x' }, ['body', 'texts']],
    [{ texts: [] }, ['body', 'texts']],
    [{ texts: Array.from({ length: 101 }, () => 'x') }, ['body', 'texts']],
    [{ texts: ['ok', 7] }, ['body', 'texts', 1]],
  ])('when /predict/batch gets a bad list, then 422 at the right place', async (body, loc) => {
    issue(await request(t.app).post('/predict/batch').send(body).expect(422), loc);
  });
});
