// What REST clients expect (issue 31): pagination links and the name filter, conditional requests
// (ETag, If-None-Match, If-Match), and API versioning, on a real migrated Postgres.
import request from 'supertest';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('restclients');
});
afterAll(async () => {
  await t.stop();
});

const create = async (name: string, description = 'It is fine.') => (await request(t.app).post('/v1/items').send({ name, description }).expect(201));

/** The target of a `Link` header's rel="next", or undefined. */
function nextOf(res: request.Response): string | undefined {
  const links = ([] as string[]).concat(res.headers.link ?? []).join(', ');
  return /<([^>]+)>; rel="next"/.exec(links)?.[1];
}

describe('pagination links and the name filter (item 4)', () => {
  it('when a page is full, then Link rel="next" names the keyset cursor with the same limit and filters; following it walks every item once; the last page has none', async () => {
    for (let i = 0; i < 5; i++) await create(`link ${i}`, i % 2 ? 'I love it' : 'Awful.');
    const all = (await request(t.app).get('/v1/items?limit=1000').expect(200)).body as { id: number; sentiment: string }[];
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: { id: number }[] = [];
    let url: string | undefined = '/v1/items?limit=2';
    let pages = 0;
    while (url) {
      const res = await request(t.app).get(url).expect(200);
      seen.push(...(res.body as { id: number }[]));
      url = nextOf(res);
      if (url) expect(url).toMatch(/^\/v1\/items\?limit=2&after_id=\d+$/);
      pages++;
    }
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2) + (all.length % 2 === 0 ? 1 : 0));
    // Failure case: a page shorter than the limit has no next link.
    expect(nextOf(await request(t.app).get('/v1/items?limit=1000').expect(200))).toBeUndefined();
    // Filters are carried; the body stays the lab's plain array.
    const filtered = await request(t.app).get('/items?limit=1&sentiment=positive').expect(200);
    expect(Array.isArray(filtered.body)).toBe(true);
    expect(nextOf(filtered)).toBe(`/items?limit=1&sentiment=positive&after_id=${filtered.body[0].id}`);
  });

  it('when filtering by ?name=, then only items with exactly that name, through the index ix_items_name; an empty name is a 422', async () => {
    await t.knex.raw("INSERT INTO items (name, description) SELECT 'bulk ' || g, '' FROM generate_series(1, 3000) g");
    await t.knex.raw('ANALYZE items');
    const a = (await create('needle')).body;
    await create('needle 2');
    const b = (await create('needle')).body;
    const scans = async () => Number((await t.knex.raw("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'ix_items_name'")).rows[0].idx_scan);
    const before = await scans();
    const res = await request(t.app).get('/v1/items?name=needle').expect(200);
    expect(res.body.map((i: { id: number }) => i.id)).toEqual([a.id, b.id]);
    // The statistics are flushed by the serving backend within seconds of going idle.
    const deadline = Date.now() + 20_000;
    while ((await scans()) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await scans()).toBeGreaterThan(before);
    expect((await request(t.app).get('/v1/items?name=').expect(422)).body.detail[0].loc).toEqual(['query', 'name']);
    expect((await request(t.app).get('/v1/items?name=nothing-by-this-name').expect(200)).body).toEqual([]);
  });
});

describe('conditional requests (item 3)', () => {
  it('when reading with If-None-Match of the current ETag, then 304 without a body; after a change, 200 with a new ETag', async () => {
    const created = await create('etag');
    const etag = created.headers.etag as string;
    expect(etag).toMatch(/^"\d+"$/);
    const got = await request(t.app).get(`/v1/items/${created.body.id}`).expect(200);
    expect(got.headers.etag).toBe(etag);
    const cached = await request(t.app).get(`/v1/items/${created.body.id}`).set('If-None-Match', etag).expect(304);
    expect(cached.text).toBe('');
    expect(cached.headers.etag).toBe(etag);
    await request(t.app).get(`/v1/items/${created.body.id}`).set('If-None-Match', `"1", W/${etag}`).expect(304);
    await request(t.app).get(`/v1/items/${created.body.id}`).set('If-None-Match', '"1"').expect(200);
    // Failure case: once the item changed (here by another writer, straight in SQL), the old ETag no longer matches.
    await t.knex('items').where('id', created.body.id).update({ price: 5 });
    const fresh = await request(t.app).get(`/v1/items/${created.body.id}`).set('If-None-Match', etag).expect(200);
    expect(fresh.body.price).toBe(5);
    expect(fresh.headers.etag).not.toBe(etag);
  });

  it('when two clients update from the same version, then the second gets 412 and its change is not applied (no lost update)', async () => {
    const { body: item, headers } = await create('contended');
    const v1 = headers.etag as string;
    const first = await request(t.app).patch(`/v1/items/${item.id}`).set('If-Match', v1).send({ price: 10 }).expect(200);
    const v2 = first.headers.etag as string;
    expect(v2).not.toBe(v1);
    const stale = await request(t.app).patch(`/v1/items/${item.id}`).set('If-Match', v1).send({ price: 99 }).expect(412);
    expect(stale.body.detail).toMatch(/changed/);
    await request(t.app).put(`/v1/items/${item.id}`).set('If-Match', v1).send({ name: 'x', description: 'y' }).expect(412);
    await request(t.app).patch(`/v1/items/${item.id}`).set('If-Match', v1).send({}).expect(412);
    await request(t.app).delete(`/v1/items/${item.id}`).set('If-Match', v1).expect(412);
    const row = await t.knex('items').where('id', item.id).first();
    expect(row).toMatchObject({ name: 'contended', price: 10 });
    // The current version (or `*`) applies; unconditional writes still work as the lab's did.
    const put = await request(t.app).put(`/v1/items/${item.id}`).set('If-Match', `"0", ${v2}`).send({ name: 'renamed', description: 'y' }).expect(200);
    await request(t.app).patch(`/v1/items/${item.id}`).set('If-Match', '*').send({ price: 3 }).expect(200);
    await request(t.app).patch(`/v1/items/${item.id}`).send({ price: 4 }).expect(200);
    await request(t.app).patch(`/v1/items/${item.id}`).set('If-Match', 'garbage').send({ price: 5 }).expect(412);
    await request(t.app).delete(`/v1/items/${item.id}`).set('If-Match', put.headers.etag as string).expect(412);
    const current = (await request(t.app).get(`/v1/items/${item.id}`)).headers.etag as string;
    await request(t.app).delete(`/v1/items/${item.id}`).set('If-Match', current).expect(204);
    await request(t.app).patch(`/v1/items/${item.id}`).set('If-Match', current).send({ price: 1 }).expect(404);
  });

  it('when rows are updated, then the database maintains updated_at (the version), whichever code writes them', async () => {
    const { body: item } = await create('stamped');
    const before = (await t.knex('items').where('id', item.id).first()).updated_at as Date;
    await t.knex.raw('UPDATE items SET price = price + 1 WHERE id = ?', [item.id]);
    const after = (await t.knex('items').where('id', item.id).first()).updated_at as Date;
    expect(after.getTime()).toBeGreaterThanOrEqual(before.getTime());
    const versions = await t.knex.raw('SELECT (extract(epoch from updated_at) * 1000000)::int8::text AS v FROM items WHERE id = ?', [item.id]);
    expect(`"${versions.rows[0].v}"`).toBe((await request(t.app).get(`/v1/items/${item.id}`)).headers.etag);
    expect(`"${versions.rows[0].v}"`).not.toBe(`"${(before.getTime() * 1000).toString()}"`);
  });
});

describe('API versioning (item 1)', () => {
  /** The URLs the generated client called, in order. */
  const called: string[] = [];

  /** A client generated from the served OpenAPI document: one function per operationId, URLs from its servers. */
  async function generatedClient(): Promise<Record<string, (args?: { path?: Record<string, string | number>; query?: string; body?: object }) => request.Test>> {
    const doc = (await request(t.app).get('/openapi.json').expect(200)).body as {
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string } | { url: string }[]> & { servers?: { url: string }[] }>;
    };
    const ops: Record<string, (args?: { path?: Record<string, string | number>; query?: string; body?: object }) => request.Test> = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      const server = (item.servers ?? doc.servers)[0]!.url.replace(/\/$/, '');
      for (const [method, op] of Object.entries(item)) {
        if (method === 'servers' || method === 'parameters') continue;
        ops[(op as { operationId: string }).operationId] = (args = {}) => {
          const url = server + path.replace(/\{(\w+)\}/g, (_, k: string) => String(args.path?.[k])) + (args.query ? `?${args.query}` : '');
          called.push(url);
          const req = (request(t.app) as unknown as Record<string, (u: string) => request.Test>)[method]!(url);
          return args.body ? req.send(args.body) : req;
        };
      }
    }
    return ops;
  }

  it('when a client generated from the new OpenAPI document calls the API, then it uses /v1 and nothing is deprecated', async () => {
    const api = await generatedClient();
    const created = await api.create_item_items_post!({ body: { name: 'generated', description: 'I love it' } }).expect(201);
    expect(created.headers.location).toBe(`/v1/items/${created.body.id}`);
    expect(created.headers.deprecation).toBeUndefined();
    const read = await api.read_item_items__item_id__get!({ path: { item_id: created.body.id } }).expect(200);
    expect(called[1]).toBe(`/v1/items/${created.body.id}`);
    expect(read.body).toEqual(created.body);
    expect(read.headers.deprecation).toBeUndefined();
    await api.patch_item_items__item_id__patch!({ path: { item_id: created.body.id }, body: { price: 2 } }).expect(200);
    expect((await api.read_items_items_get!({ query: 'name=generated' }).expect(200)).body).toHaveLength(1);
    expect((await api.predict_sentiment_predict_post!({ body: { text: 'Nothing works' } }).expect(200)).body.sentiment).toBe('negative');
    expect((await api.model_info_model_info_get!().expect(200)).body.labels).toHaveLength(3);
    await api.health_check_health_get!().expect(200);
    expect(called[called.length - 1]).toBe('/health');
    await api.readyz_readyz_get!().expect(200);
    await api.delete_item_items__item_id__delete!({ path: { item_id: created.body.id } }).expect(204);
  });

  it("when the lab's client calls the unversioned paths, then the same handlers answer, marked deprecated with a Link to the /v1 successor", async () => {
    const created = await request(t.app).post('/items').send({ name: 'lab', description: 'ok' }).expect(201);
    expect(created.headers.location).toBe(`/items/${created.body.id}`);
    expect(created.headers.deprecation).toMatch(/^@\d+$/);
    const read = await request(t.app).get(`/items/${created.body.id}`).expect(200);
    expect(read.headers.deprecation).toMatch(/^@\d+$/);
    expect(read.headers.link).toContain(`</v1/items/${created.body.id}>; rel="successor-version"`);
    expect(read.headers.link).toContain('rel="deprecation"');
    expect((await request(t.app).get(`/v1/items/${created.body.id}`).expect(200)).body).toEqual(read.body);
    expect((await request(t.app).post('/predict').send({ text: 'I love it' }).expect(200)).headers.deprecation).toBeDefined();
    // Service endpoints are neither versioned nor deprecated; unknown versions are not routed.
    expect((await request(t.app).get('/health').expect(200)).headers.deprecation).toBeUndefined();
    await request(t.app).get('/v1/livez').expect(404);
    await request(t.app).get('/v2/items').expect(404);
    await request(t.app).get('/v1items').expect(404);
    // One metrics label per route, whichever spelling was used.
    const metrics = (await request(t.metricsApp).get('/metrics').expect(200)).text;
    expect(metrics).not.toMatch(/route="\/v1/);
  });

  it('when reading the OpenAPI document, then the API paths sit under servers /v1 and service endpoints at the root', async () => {
    const doc = (await request(t.app).get('/openapi.json').expect(200)).body;
    expect(doc.servers).toEqual([{ url: '/v1', description: expect.any(String) }]);
    expect(doc.paths['/items'].servers).toBeUndefined();
    expect(doc.paths['/livez'].servers[0].url).toBe('/');
    expect(doc.paths['/items/{item_id}'].put.parameters.map((p: { name: string }) => p.name)).toEqual(['If-Match']);
    expect(doc.paths['/items'].post.parameters.map((p: { name: string }) => p.name)).toEqual(['Idempotency-Key']);
  });
});
