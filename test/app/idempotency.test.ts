// Idempotency-Key on POST /items (issue 31 item 2), on a real Postgres: replays, a reused key, a
// concurrent duplicate, expiry, and the case it exists for: the database connection cut after the
// COMMIT reached Postgres but before the app heard back, so the client saw a 503 and retries.
import net from 'node:net';
import request from 'supertest';
import { compose } from '../../app/src/compose';
import { dbConfig, memoryLogger, startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('idempotency');
});
afterAll(async () => {
  await t.stop();
});

const count = async (name: string) => Number((await t.knex('items').where('name', name).count<{ count: string }[]>('* as count'))[0]!.count);

it('when the same key is sent twice with the same body, then the second gets the first response (same item, replayed) and one row exists', async () => {
  const body = { name: 'idem same', description: 'I love it' };
  const first = await request(t.app).post('/v1/items').set('Idempotency-Key', '"k-same"').send(body).expect(201);
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  const again = await request(t.app).post('/v1/items').set('Idempotency-Key', '"k-same"').send({ description: 'I love it', name: 'idem same', price: 0 }).expect(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toEqual(first.body);
  expect(again.headers.location).toBe(first.headers.location);
  expect(again.headers.etag).toBe(first.headers.etag);
  expect(await count('idem same')).toBe(1);
  // Failure case: without a key the same two POSTs create two items.
  await request(t.app).post('/v1/items').send(body).expect(201);
  expect(await count('idem same')).toBe(2);
});

it('when a key is reused with a different body, then 422 and nothing is created', async () => {
  await request(t.app).post('/items').set('Idempotency-Key', 'k-reused').send({ name: 'idem reused', description: 'a' }).expect(201);
  const res = await request(t.app).post('/items').set('Idempotency-Key', 'k-reused').send({ name: 'idem reused', description: 'b' }).expect(422);
  expect(res.body.detail).toMatch(/different request body/);
  expect(await count('idem reused')).toBe(1);
});

it('when the first request with a key is still running, then a duplicate gets 409 at once; once it is gone, the key works', async () => {
  const holder = await t.knex.client.acquireConnection();
  try {
    await holder.query('BEGIN');
    await holder.query("INSERT INTO idempotency_keys (key, fingerprint, item, version) VALUES ('k-busy', 'x', '{}', '')"); // row-locked until COMMIT/ROLLBACK
    const t0 = Date.now();
    const res = await request(t.app).post('/items').set('Idempotency-Key', 'k-busy').send({ name: 'idem busy', description: 'a' }).expect(409);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(res.body.detail).toMatch(/still being processed/);
    await holder.query('ROLLBACK');
  } finally {
    await t.knex.client.releaseConnection(holder);
  }
  await request(t.app).post('/items').set('Idempotency-Key', 'k-busy').send({ name: 'idem busy', description: 'a' }).expect(201);
  expect(await count('idem busy')).toBe(1);
});

it('when a key is older than 24 hours, then it is forgotten (a new request with it creates again); a malformed key is a 422', async () => {
  const first = await request(t.app).post('/items').set('Idempotency-Key', 'k-old').send({ name: 'idem old', description: 'a' }).expect(201);
  await t.knex('idempotency_keys').where('key', 'k-old').update({ created_at: t.knex.raw("now() - interval '25 hours'") });
  const second = await request(t.app).post('/items').set('Idempotency-Key', 'k-old').send({ name: 'idem old', description: 'b' }).expect(201);
  expect(second.body.id).not.toBe(first.body.id);
  const bad = await request(t.app).post('/items').set('Idempotency-Key', 'x'.repeat(300)).send({ name: 'idem bad', description: 'a' }).expect(422);
  expect(bad.body.detail[0].loc).toEqual(['header', 'idempotency-key']);
  await request(t.app).post('/items').set('Idempotency-Key', '""').send({ name: 'idem bad', description: 'a' }).expect(422);
  expect(await count('idem bad')).toBe(0);
});

/**
 * A TCP proxy to Postgres that, once armed, forwards the next COMMIT to the server and then cuts
 * the app's connection without relaying the answer: the transaction commits, the app sees an error.
 */
async function commitCuttingProxy(target: URL): Promise<{ port: number; arm(): void; cuts: () => number; close(): Promise<void> }> {
  let armed = false;
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let cut = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (armed && chunk.includes('COMMIT')) {
        armed = false;
        cut = true;
        cuts++;
        client.destroy(); // the app never hears the answer
        setTimeout(() => upstream.end(), 500); // the server has the COMMIT; let it finish
      }
    });
    upstream.on('data', (chunk: Buffer) => cut || client.write(chunk));
    const done = () => {
      client.destroy();
      if (!cut) upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    arm: () => {
      armed = true;
    },
    cuts: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

it('when the connection is cut between COMMIT and the response, then the client sees a 503, and its retry with the key gets the committed item, not a duplicate', async () => {
  const target = new URL(t.db.url);
  const proxy = await commitCuttingProxy(target);
  const viaProxy = new URL(t.db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const { logger } = memoryLogger();
  const c = compose({ db: dbConfig(viaProxy.toString()), logger, healthTimeoutMs: 1500 });
  try {
    const body = { name: 'idem cut', description: 'Great' };
    proxy.arm();
    const lost = await request(c.app).post('/v1/items').set('Idempotency-Key', 'k-cut').send(body);
    expect(proxy.cuts()).toBe(1);
    expect(lost.status).toBe(503);
    expect(await count('idem cut')).toBe(1); // it did commit
    const retry = await request(c.app).post('/v1/items').set('Idempotency-Key', 'k-cut').send(body).expect(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await count('idem cut')).toBe(1);
    expect(retry.body.id).toBe((await t.knex('items').where('name', 'idem cut').first()).id);
  } finally {
    await c.close();
    await proxy.close();
  }
});
