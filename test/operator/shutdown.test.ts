// Shutdown against a real HTTP server on loopback that never answers (a frozen or overloaded API
// server): stopping an informer or the Secret watches aborts the list in flight instead of waiting
// for the request timeout and its retries, and nothing starts a request afterwards. A request
// aborted while its credentials were still being fetched is never sent (a proxy's CONNECT would
// otherwise open a tunnel after stop()), and a closed transport sends nothing.
import http from 'node:http';
import type net from 'node:net';
import { connect as netConnect } from 'node:net';
import pino from 'pino';
import { KubeClient } from '../../operator/src/kube/client';
import { TransportClosedError } from '../../operator/src/kube/errors';
import { SECRETS } from '../../operator/src/kube/resources';
import { Transport } from '../../operator/src/kube/transport';
import type { ConfigMap } from '../../operator/src/kube/types';
import { Informer } from '../../operator/src/runtime/informer';
import { SecretWatches, SecretWatchesStoppedError } from '../../operator/src/runtime/secret-watches';
import { CONFIGMAPS } from './support/informer-kit';

/** Requests the server received, in order ("GET /path?query"); lists of Secrets and ConfigMaps are never answered. */
let received: string[] = [];
const held = new Set<http.ServerResponse>();
let server: http.Server;
let url: string;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    if (req.url?.includes('/secrets') || req.url?.includes('/configmaps')) { held.add(res); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
beforeEach(() => { received = []; });
afterAll(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** An auth source whose credentials arrive only when the test says (an exec plugin still running). */
function slowAuth(): { auth: ConstructorParameters<typeof Transport>[0]; release(): void; asked: Promise<void> } {
  let release!: () => void;
  let asked!: () => void;
  const ready = new Promise<void>((r) => { release = r; });
  const askedP = new Promise<void>((r) => { asked = r; });
  let first = true;
  return {
    auth: {
      getCurrentCluster: () => ({ server: url }),
      applyToHTTPSOptions: async () => {
        if (!first) return;
        first = false;
        asked();
        await ready;
      },
    },
    release,
    asked: askedP,
  };
}

const fastClient = (): KubeClient => new KubeClient(new Transport({ getCurrentCluster: () => ({ server: url }), applyToHTTPSOptions: async () => undefined }));

test('when a request is aborted while its credentials are being fetched, then it is never sent', async () => {
  const slow = slowAuth();
  const transport = new Transport(slow.auth);
  const abort = new AbortController();
  const request = transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/first', signal: abort.signal });
  await slow.asked;
  abort.abort();
  slow.release();
  await expect(request).rejects.toThrow();
  // a later request goes out and is answered: the server saw it, and only it
  await transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/second' });
  expect(received).toEqual(['GET /api/v1/things/second']);
  transport.close();
});

test('when a watch is aborted while its credentials are being fetched, then it ends without connecting', async () => {
  const slow = slowAuth();
  const transport = new Transport(slow.auth);
  const abort = new AbortController();
  const watch = transport.stream({ verb: 'watch', resource: 'things', method: 'GET', path: '/api/v1/things', query: { watch: true } },
    () => undefined, abort.signal, 60_000);
  await slow.asked;
  abort.abort();
  slow.release();
  await expect(watch).resolves.toBeUndefined();
  await transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/after' });
  expect(received).toEqual(['GET /api/v1/things/after']);
  transport.close();
});

test('when the transport is closed, then later requests and watches fail with TransportClosedError and send nothing', async () => {
  const client = fastClient();
  await client.transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/open' });
  client.close();
  await expect(client.transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/closed' })).rejects.toBeInstanceOf(TransportClosedError);
  await expect(client.transport.stream({ verb: 'watch', resource: 'things', method: 'GET', path: '/api/v1/things' }, () => undefined, new AbortController().signal, 1_000))
    .rejects.toBeInstanceOf(TransportClosedError);
  expect(received).toEqual(['GET /api/v1/things/open']);
});

test('when an informer is stopped while its list is unanswered, then stop() aborts the list at once and nothing is requested after it', async () => {
  const client = fastClient();
  const informer = new Informer<ConfigMap>(client, { resource: CONFIGMAPS, namespace: 'frozen' }, log);
  informer.start();
  await waitFor(() => received.some((r) => r.startsWith('GET /api/v1/namespaces/frozen/configmaps')));
  const t0 = Date.now();
  await informer.stop();
  // the list's own timeout is 30 s, and it would be retried: stopping must not wait for that
  expect(Date.now() - t0).toBeLessThan(2_000);
  expect(informer.hasSynced()).toBe(false);
  const before = received.length;
  // proof the transport is still usable and everything sent so far has arrived: a request of our own
  await client.transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/probe' });
  expect(received.slice(before)).toEqual(['GET /api/v1/things/probe']);
  expect(received.filter((r) => r.includes('/configmaps'))).toHaveLength(1);
  client.close();
});

test('when the Secret watches stop while a namespace\'s first list is unanswered, then the pass waiting on it ends with SecretWatchesStoppedError, not with an empty view', async () => {
  const client = fastClient();
  const secrets = new SecretWatches(client, {}, log);
  const watching = secrets.watch('frozen');
  await waitFor(() => received.some((r) => r.includes('/namespaces/frozen/secrets')));
  const t0 = Date.now();
  await secrets.stop();
  expect(Date.now() - t0).toBeLessThan(2_000);
  await expect(watching).rejects.toBeInstanceOf(SecretWatchesStoppedError);
  // after stop(): another namespace is not watched (no list), and the pass ends the same way
  await expect(secrets.watch('other')).rejects.toBeInstanceOf(SecretWatchesStoppedError);
  await client.transport.request({ verb: 'get', resource: 'things', method: 'GET', path: '/api/v1/things/probe' });
  expect(received.filter((r) => r.includes(`/${SECRETS.plural}`))).toEqual([expect.stringContaining('/namespaces/frozen/secrets')]);
  client.close();
});

test('when a watch is aborted while a proxy is still opening its tunnel, then drain() after close() returns only once that attempt ended: no tunnel opens after it', async () => {
  // a CONNECT proxy that answers each CONNECT 300 ms late (a loaded proxy or host)
  const tunnels: string[] = [];
  const connects: string[] = [];
  const proxy = http.createServer((_q, r) => r.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    connects.push(req.url ?? '');
    client.on('error', () => undefined);
    setTimeout(() => {
      const [host, port] = (req.url ?? '').split(':');
      const upstream = netConnect(Number(port), host!, () => {
        tunnels.push(req.url ?? '');
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    }, 300);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  const transport = new Transport({ getCurrentCluster: () => ({ server: url, proxyUrl }), applyToHTTPSOptions: async () => undefined });
  try {
    await abortWhileTunnelling(transport, connects, tunnels);
  } finally {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  }
});

async function abortWhileTunnelling(transport: Transport, connects: string[], tunnels: string[]): Promise<void> {
  const abort = new AbortController();
  // a watch: an abort ends it at once (an informer's stop() returns), while its connection is still being opened
  const watch = transport.stream({ verb: 'watch', resource: 'things', method: 'GET', path: '/api/v1/things', query: { watch: true } },
    () => undefined, abort.signal, 60_000);
  await waitFor(() => connects.length === 1);
  abort.abort();
  await expect(watch).resolves.toBeUndefined();
  expect(tunnels).toHaveLength(0); // still being opened
  transport.close();
  expect(await transport.drain(5_000)).toBe(0);
  // the attempt under way when the request was aborted ended before drain() returned
  expect(tunnels).toHaveLength(1);
  expect(received).toEqual([]); // and nothing went through it
}

async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error('condition not met in time');
  }
}
