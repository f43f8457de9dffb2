// The transport's retries and aborts against a real HTTP server on loopback (no API server
// needed): 429/503 are retried, Retry-After is honoured, other 4xx are not retried, and an
// AbortSignal ends a request the server never answers at once (the leader's renew deadline).
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { KubeClient } from '../../operator/src/kube/client';
import { isResourceVersionTooLarge, isTransient, KubeApiError, RequestTimeoutError } from '../../operator/src/kube/errors';
import { RequestCounter } from '../../operator/src/kube/request-counter';
import { retryDelay, Transport, type RetryPolicy } from '../../operator/src/kube/transport';
import { withDeadline } from '../../operator/src/runtime/deadline';
import { collectGarbageEvery } from './support/gc';

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';
let answers: Answer[] = [];
let seen: number[] = [];
let server: http.Server;
let transport: Transport;
const hanging = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(Date.now());
    req.resume();
    const a = answers.shift() ?? { status: 200, body: '{"ok":true}' };
    if (a === 'hang') { hanging.add(res); return; }
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(a.body ?? JSON.stringify({ kind: 'Status', code: a.status, reason: 'Injected', message: 'injected' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  transport = new Transport({ getCurrentCluster: () => ({ server: url }), applyToHTTPSOptions: async () => undefined },
    { attempts: 4, baseMs: 50, maxMs: 200, maxRetryAfterMs: 5_000 });
});
beforeEach(() => { answers = []; seen = []; });
afterAll(async () => {
  for (const r of hanging) r.destroy();
  transport.close();
  await new Promise((r) => server.close(r));
});

const get = (signal?: AbortSignal) => transport.request<{ ok: boolean }>({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things', signal });

test('when the server answers 429 with Retry-After, then the request waits that long before each retry and succeeds', async () => {
  answers = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 429, headers: { 'retry-after': '1' } }];
  const counter = new RequestCounter();
  transport.observe(counter);
  expect(await get()).toEqual({ ok: true });
  expect(seen).toHaveLength(3);
  expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
  expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(950);
  expect(counter.counts()['get things']).toBe(3); // every attempt is a request
});

test('when the server answers 503 without Retry-After every time, then it backs off and gives up after the attempts, with the 503', async () => {
  answers = Array.from({ length: 4 }, () => ({ status: 503 }));
  await expect(get()).rejects.toMatchObject({ statusCode: 503 });
  expect(seen).toHaveLength(4);
});

test('when the server answers 404 or 422, then nothing is retried', async () => {
  answers = [{ status: 422 }];
  await expect(get()).rejects.toMatchObject({ statusCode: 422 });
  expect(seen).toHaveLength(1);
});

test('when the server never answers, then aborting the signal ends the request at once and it is not retried', async () => {
  answers = ['hang', 'hang'];
  const started = Date.now();
  await expect(get(AbortSignal.timeout(300))).rejects.toMatchObject({ name: 'AbortError' });
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(seen).toHaveLength(1);
  await expect(get(AbortSignal.abort())).rejects.toBeDefined(); // already aborted: nothing is sent
  expect(seen).toHaveLength(1);
});

test('when a deadline is combined with another signal (the leader\'s renewal) and the garbage collector runs while the server never answers, then the deadline still ends the request', async () => {
  answers = ['hang'];
  const leadership = new AbortController();
  const root = new KubeClient(transport);
  const things = { group: '', version: 'v1', plural: 'things', kind: 'Thing', namespaced: false };
  const stopCollecting = collectGarbageEvery(50);
  const started = Date.now();
  try {
    const outcome = await Promise.race([
      withDeadline(300, leadership.signal, (signal) => root.scoped(signal).get(things, undefined, 'x')).then(() => 'answered', (err: Error) => err.name),
      new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000).unref()),
    ]);
    expect(outcome).toBe('AbortError'); // the lost timeout would leave it waiting for the 30 s request timeout
    expect(Date.now() - started).toBeLessThan(5_000); // 300 ms, and full collections every 50 ms on a loaded machine
    expect(getEventListeners(leadership.signal, 'abort')).toHaveLength(0); // nothing left on the long-lived signal

    // and the other signal ends it before the deadline
    stopCollecting();
    answers = ['hang'];
    setTimeout(() => leadership.abort(), 100);
    const t0 = Date.now();
    await expect(withDeadline(10_000, leadership.signal, (signal) => root.scoped(signal).get(things, undefined, 'x'))).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(3_000); // 100 ms, well before the 10 s deadline
  } finally {
    stopCollecting();
  }
});

test('retry delays: Retry-After in seconds or as a date wins (capped); otherwise jittered exponential backoff', () => {
  const policy: RetryPolicy = { attempts: 4, baseMs: 100, maxMs: 400, maxRetryAfterMs: 3_000 };
  const err = (retryAfter?: string) => new KubeApiError(429, 'TooManyRequests', 'slow down', 'GET', '/x', { retryAfter });
  expect(retryDelay(err('2'), 1, policy)).toBe(2_000);
  expect(retryDelay(err('60'), 1, policy)).toBe(3_000);
  const now = Date.parse('2026-12-01T00:00:00Z');
  expect(retryDelay(err('Tue, 01 Dec 2026 00:00:01 GMT'), 1, policy, now)).toBe(1_000);
  for (let attempt = 1; attempt <= 5; attempt++) {
    const d = retryDelay(err(), attempt, policy);
    const full = Math.min(400, 100 * 2 ** (attempt - 1));
    expect(d).toBeGreaterThanOrEqual(full / 2);
    expect(d).toBeLessThanOrEqual(full);
  }
});

test('transient errors: 429, 5xx, timeouts and resets are; 4xx, aborts and too-old resourceVersions are not', () => {
  const api = (code: number, reason = '', causes: string[] = [], message = 'm') => new KubeApiError(code, reason, message, 'GET', '/x', { causes });
  expect([429, 500, 502, 503, 504].every((c) => isTransient(api(c)))).toBe(true);
  expect([400, 403, 404, 409, 410, 422].some((c) => isTransient(api(c)))).toBe(false);
  expect(isTransient(new RequestTimeoutError('t'))).toBe(true);
  expect(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
  expect(isTransient(Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' }))).toBe(false);
  expect(isResourceVersionTooLarge(api(504, 'Timeout', ['ResourceVersionTooLarge']))).toBe(true);
  expect(isResourceVersionTooLarge(api(504, 'Timeout', [], 'Too large resource version: 9000, current: 12'))).toBe(true);
  expect(isResourceVersionTooLarge(api(504, 'Timeout'))).toBe(false);
  expect(isResourceVersionTooLarge(api(410, 'Expired'))).toBe(false);
});

test('when the auth source hands out a new client certificate (an exec plugin refreshed it), then the next requests present it, not the kept-alive old one', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pki = require('../harness/envtest/pki.cjs') as typeof import('../harness/envtest/pki.cjs');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const https = await import('node:https');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transport-certs-'));
  const ca = pki.createCa(dir);
  const serving = pki.issueCert(ca, dir, 'server', { user: 'server', ips: ['127.0.0.1'] });
  const certs = ['one', 'two'].map((user) => pki.issueCert(ca, dir, user, { user }));
  const read = (f: string) => fs.readFileSync(f);
  const presented: string[] = [];
  const tlsServer = https.createServer({ key: read(serving.keyFile), cert: read(serving.certFile), ca: read(ca.certFile), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    presented.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
  let current = 0;
  const t = new Transport({
    getCurrentCluster: () => ({ server: `https://127.0.0.1:${(tlsServer.address() as net.AddressInfo).port}` }),
    applyToHTTPSOptions: async (opts) => { opts.ca = read(ca.certFile); opts.cert = read(certs[current]!.certFile); opts.key = read(certs[current]!.keyFile); },
  });
  try {
    const call = () => t.request({ verb: 'get', resource: 'things', method: 'GET', path: '/x' });
    await call();
    await call();
    current = 1;
    await call();
    await call();
    expect(presented).toEqual(['one', 'one', 'two', 'two']);
  } finally {
    t.close();
    await new Promise((r) => tlsServer.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
