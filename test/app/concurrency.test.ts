// 200 parallel creates against a pool of 10 connections: all succeed and all are readable after.
// Served by createHttpServer(), the production server (Express prototypes preset on req/res).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createHttpServer } from '../../app/src/http/server';
import { startTestApp, type TestApp } from './support';

let t: TestApp;
let server: http.Server;
beforeAll(async () => {
  t = await startTestApp('concurrency');
  server = createHttpServer(t.app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await t.stop();
});

it('when 200 items are created in parallel, then 200 distinct ids exist and each reads back', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, i) => request(base).post('/items').send({ name: `item-${i}`, description: i % 2 ? 'great value' : 'awful quality', price: i })),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(200).fill(201));
  const ids = responses.map((r) => r.body.id as number);
  expect(new Set(ids).size).toBe(200);
  const reads = await Promise.all(ids.map((id) => request(base).get(`/items/${id}`)));
  reads.forEach((r, i) => {
    expect(r.status).toBe(200);
    expect(r.body).toEqual(responses[i]?.body);
  });
  expect((await request(base).get('/items?limit=1000')).body).toHaveLength(200);
});

it('when served by createHttpServer, then Express features still work (errors, 404, headers, docs)', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bad = await request(base).post('/items').set('Content-Type', 'application/json').send('{oops').expect(422);
  expect(bad.body).toEqual({ detail: [{ loc: ['body', 1], msg: 'JSON decode error', type: 'json_invalid' }] });
  expect(bad.headers['x-powered-by']).toBeUndefined();
  await request(base).get('/nope').expect(404, { detail: 'Not Found' });
  await request(base).get('/items?limit=2&sentiment=positive').expect(200);
  await request(base).get('/docs/swagger-ui.css').expect(200).expect('Content-Type', /css/);
});
