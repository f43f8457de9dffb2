// Requests and the event loop: a client that disconnects before its response is counted (status_code 499, as nginx logs it)
// and logged, not lost. Large batches take turns and yield, so a probe is not queued behind them.
// Served by the real node:http server.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { createHttpServer } from '../../app/src/http/server';
import { postBatches, startTestApp, type TestApp } from './support';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('abort');
});
afterAll(async () => {
  await t.stop();
});

it('when the client closes the connection while its request waits on the database, then 499 is counted and logged', async () => {
  const id = (await request(t.app).post('/items').send({ name: 'n', description: 'd' }).expect(201)).body.id as number;
  const server = createHttpServer(t.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const locker = new Client({ connectionString: t.db.url });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
  try {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET /items/${id} HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-early\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await locker.query('COMMIT');
    await locker.end();
    await new Promise((r) => server.close(r));
  }
  const m = (await request(t.metricsApp).get('/metrics')).text;
  expect(m).toMatch(/^http_requests_total\{method="GET",route="\/items\/:id",status_code="499"\} 1$/m);
  expect(t.logs.find((l) => l.reqId === 'gone-early')).toMatchObject({ level: 'warn', status: 499, route: '/items/:id' });
});

it('when several of the largest batches arrive at once, then a /livez sent after them is not queued behind them (most of them finish after it)', async () => {
  const server = createHttpServer(t.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const body = JSON.stringify({ texts: Array.from({ length: 5 }, (_, i) => `${i} fine and dandy `.repeat(700).slice(0, 10000)) });
    let received = 0;
    server.on('request', (req: { url?: string }) => req.url === '/predict/batch' && received++);
    const order: string[] = [];
    const batches = postBatches(base, body, 8, order);
    while (received < 8) await new Promise((r) => setImmediate(r)); // all 8 are in: without slicing they would all be scored before /livez is read
    const livez = fetch(`${base}/livez`).then((r) => order.push(`livez ${r.status}`));
    await Promise.all([...batches, livez]);
    expect(order.indexOf('livez 200')).toBeLessThan(4);
    expect(order).toHaveLength(9);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
