// Readiness survives a slow database (issue 31 item 6): with every serving connection waiting on a
// lock and more requests queued for the pool, /readyz still answers 200 from its own probe
// connection; once the lock goes, every queued request is served.
import request from 'supertest';
import { Client } from 'pg';
import { adminUrl } from '../harness/postgres';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('readyslow', { db: { poolMax: 2, acquireTimeoutMs: 20_000 } });
});
afterAll(async () => {
  await t.stop();
});

it('when every serving connection waits on a held lock and requests queue for the pool, then /readyz and /health stay 200 within the probe timeout, and the queued requests complete afterwards', async () => {
  const id = (await request(t.app).post('/items').send({ name: 'locked', description: 'd' }).expect(201)).body.id as number;
  const holder = new Client({ connectionString: t.db.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    // 2 requests take both serving connections and wait on the lock; 4 more wait for the pool.
    const slow = Array.from({ length: 6 }, () => request(t.app).get(`/items/${id}`).then((r) => r.status));
    const deadline = Date.now() + 15_000;
    const lockWaiters = async () =>
      Number((await holder.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'fastapiapp'")).rows[0].n);
    while ((await lockWaiters()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await lockWaiters()).toBe(2); // the serving pool (max 2) is saturated by lock waits
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const ready = await request(t.app).get('/readyz');
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ready', database: 'connected', model: 'loaded', schema: 'current' } });
      expect(Date.now() - t0).toBeLessThan(1500);
      await request(t.app).get('/health').expect(200);
    }
    await holder.query('COMMIT');
    expect(await Promise.all(slow)).toEqual([200, 200, 200, 200, 200, 200]);
  } finally {
    await holder.end();
  }
});

it('when the database is unreachable, then /readyz still turns 503 (the probe connection is no blind spot)', async () => {
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fastapiapp-probe' AND datname = $1", [t.db.name]);
    await admin.query(`ALTER DATABASE "${t.db.name}" WITH ALLOW_CONNECTIONS false`);
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'fastapiapp%' AND datname = $1", [t.db.name]);
    // The probe's next connection is refused.
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await request(t.app).get('/readyz')).status) !== 503) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(503);
    await admin.query(`ALTER DATABASE "${t.db.name}" WITH ALLOW_CONNECTIONS true`);
    // ready again once the probe reconnects and the schema check (re-run every ~2 s while unsatisfied) answers
    const back = Date.now() + 10_000;
    while (Date.now() < back && (status = (await request(t.app).get('/readyz')).status) !== 200) await new Promise((r) => setTimeout(r, 100));
    expect(status).toBe(200);
  } finally {
    await admin.query(`ALTER DATABASE "${t.db.name}" WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
  }
});
