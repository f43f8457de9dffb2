// A client that disconnects before its response is counted (status_code 499, as nginx logs it)
// and logged, not lost. Served by the real node:http server, over a raw socket.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { createHttpServer } from '../../app/src/http/server';
import { startTestApp, type TestApp } from './support';

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
  const m = (await request(t.app).get('/metrics')).text;
  expect(m).toMatch(/^http_requests_total\{method="GET",route="\/items\/:id",status_code="499"\} 1$/m);
  expect(t.logs.find((l) => l.reqId === 'gone-early')).toMatchObject({ level: 'warn', status: 499, route: '/items/:id' });
});
