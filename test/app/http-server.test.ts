// createHttpServer(): requests and responses are born with Express's prototypes (so Express's
// per-request prototype swap is a no-op) and stay fast-properties objects in V8. The former
// plain-function constructors produced dictionary-mode responses (every property access a hash
// lookup); this test failed with them. No database needed.
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import express from 'express';
import { createHttpServer } from '../../app/src/http/server';

v8.setFlagsFromString('--allow-natives-syntax');
// Compiled after the flag is set; V8's own check of an object's property storage.
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

it('when a request is served, then req and res already have the app prototypes and fast properties, and Express features work', async () => {
  const app = express();
  const seen: Record<string, boolean>[] = [];
  app.get('/x/:id', (req, res) => {
    res.setHeader('X-Test', '1');
    seen.push({
      reqProto: Object.getPrototypeOf(req) === app.request,
      resProto: Object.getPrototypeOf(res) === app.response,
      reqFast: hasFastProperties(req),
      resFast: hasFastProperties(res),
    });
    res.status(201).json({ id: req.params.id, app: req.app === app });
  });
  const server = createHttpServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${base}/x/${i}`);
      expect(res.status).toBe(201);
      expect(res.headers.get('x-test')).toBe('1');
      expect(await res.json()).toEqual({ id: String(i), app: true });
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
  expect(seen).toEqual(Array(3).fill({ reqProto: true, resProto: true, reqFast: true, resFast: true }));
});
