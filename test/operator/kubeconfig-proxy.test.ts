// Item 14 (proxy): a kubeconfig cluster's proxy-url, and HTTPS_PROXY / NO_PROXY, are honoured as
// kubectl (client-go) honours them. The rules as a table (golang.org/x/net/http/httpproxy's), then
// the operator's own traffic (list, watch, server-side apply) through a real CONNECT proxy on
// loopback in front of the shared API server: the proxy sees the tunnels, cutting them ends the
// watches, NO_PROXY bypasses it, and an unreachable or refusing proxy is a clear, prompt error.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { ConfigError, loadConfig } from '../../operator/src/config';
import { loadClusterAuth, KubeconfigError } from '../../operator/src/kube/auth';
import { KubeClient } from '../../operator/src/kube/client';
import { ProxyError, isTransient } from '../../operator/src/kube/errors';
import { noProxyMatcher, selectProxy, type ProxyEnv } from '../../operator/src/kube/proxy';
import { DEPLOYMENTS } from '../../operator/src/kube/resources';
import { Transport, type RetryPolicy } from '../../operator/src/kube/transport';
import type { ConfigMap } from '../../operator/src/kube/types';
import { CONFIGMAPS } from './support/informer-kit';
import { startConnectProxy, type ConnectProxy } from './support/connect-proxy';
import { startSocks5Proxy } from './support/socks5-proxy';
import { startTestOperator } from './support/operator';
import { eventually, World } from './support/world';

describe('which proxy, as client-go chooses it', () => {
  const pick = (server: string, env: ProxyEnv, proxyUrl?: string): string | undefined => selectProxy(new URL(server), proxyUrl, env)?.url.href;
  const P = { httpsProxy: 'http://proxy.corp:3128' };

  test.each([
    ['https://api.example.com', {}, undefined],
    ['https://api.example.com', P, 'http://proxy.corp:3128/'],
    ['https://api.example.com', { httpsProxy: 'proxy.corp:3128' }, 'http://proxy.corp:3128/'], // host:port means http://
    ['https://api.example.com', { httpProxy: 'http://plain:80' }, undefined], // HTTP_PROXY is for http:// servers only
    ['http://api.example.com', { httpProxy: 'http://plain:80' }, 'http://plain/'],
    ['https://127.0.0.1:6443', P, undefined], // loopback and localhost never use an env proxy
    ['https://[::1]:6443', P, undefined],
    ['https://localhost:6443', P, undefined],
    ['https://api.example.com', { ...P, noProxy: '*' }, undefined],
    ['https://api.example.com', { ...P, noProxy: 'example.com' }, undefined], // a domain and its subdomains
    ['https://example.com', { ...P, noProxy: 'example.com' }, undefined],
    ['https://example.com', { ...P, noProxy: '.example.com' }, 'http://proxy.corp:3128/'], // leading dot: subdomains only
    ['https://api.example.com', { ...P, noProxy: '*.example.com' }, undefined],
    ['https://notexample.com', { ...P, noProxy: 'example.com' }, 'http://proxy.corp:3128/'],
    ['https://API.Example.COM', { ...P, noProxy: ' other.org , EXAMPLE.com ' }, undefined], // case and spaces
    ['https://api.example.com', { ...P, noProxy: 'example.com:443' }, undefined], // the https default port
    ['https://api.example.com:6443', { ...P, noProxy: 'example.com:443' }, 'http://proxy.corp:3128/'],
    ['https://10.1.2.3:6443', { ...P, noProxy: '10.0.0.0/8' }, undefined], // CIDR
    ['https://11.1.2.3:6443', { ...P, noProxy: '10.0.0.0/8' }, 'http://proxy.corp:3128/'],
    ['https://[fd00::5]:6443', { ...P, noProxy: 'fd00::/8' }, undefined],
    ['https://[fd00::5]:6443', { ...P, noProxy: 'fd00:0:0:0:0:0:0:5' }, undefined], // an address, however spelt
    ['https://10.1.2.3:6443', { ...P, noProxy: '10.1.2.3:6443' }, undefined],
    ['https://10.1.2.3:6443', { ...P, noProxy: '10.1.2.3:443' }, 'http://proxy.corp:3128/'],
    ['https://10.1.2.3', { ...P, noProxy: 'bogus/99,:80' }, 'http://proxy.corp:3128/'], // unparsable entries are ignored
  ] as Array<[string, ProxyEnv, string | undefined]>)('%s with %j → %s', (server, env, want) => {
    expect(pick(server, env)).toBe(want);
  });

  test('when the cluster has a proxy-url, then it is used even for loopback and even where NO_PROXY matches', () => {
    expect(pick('https://127.0.0.1:6443', { httpsProxy: 'http://env:1', noProxy: '*' }, 'socks5://bastion:1080')).toBe('socks5://bastion:1080');
    expect(selectProxy(new URL('https://a.b'), 'https://p.corp:8443', {})?.source).toBe('proxy-url');
  });

  test('the NO_PROXY matcher is the one selectProxy uses', () => {
    const m = noProxyMatcher('.svc,192.168.0.0/16');
    expect(m('kubernetes.default.svc', '443', undefined)).toBe(true);
    expect(m('svc', '443', undefined)).toBe(false);
    expect(m('192.168.7.7', '443', '192.168.7.7')).toBe(true);
  });
});

describe('through a real CONNECT proxy', () => {
  let dir: string;
  let proxy: ConnectProxy;
  let ns: string;
  let apiPort: string;
  const admin = JSON.parse(fs.readFileSync(process.env.KUBECONFIG_ENVTEST!, 'utf8')) as {
    clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }>;
  };
  const FAST_RETRY: RetryPolicy = { attempts: 3, baseMs: 50, maxMs: 200, maxRetryAfterMs: 1_000 };

  /** The admin's kubeconfig, with the server and cluster fields given. */
  const kubeconfig = (name: string, cluster: Record<string, string | boolean>): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, stringify({
      'current-context': 'c',
      clusters: [{ name: 'c', cluster: { 'certificate-authority-data': admin.clusters[0]!.cluster['certificate-authority-data'], ...cluster } }],
      users: [{ name: 'u', user: admin.users[0]!.user }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    }));
    return file;
  };
  const clientFor = async (file: string, env: ProxyEnv = {}, retry = FAST_RETRY): Promise<KubeClient> =>
    new KubeClient(new Transport(await loadClusterAuth([file]), retry, env));
  const cm = (name: string): ConfigMap => ({ metadata: { name, namespace: ns }, data: { v: name } });
  const closedPort = async (): Promise<number> => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-proxy-'));
    // the API server by a name only the proxy can resolve, as a private endpoint behind an egress proxy
    proxy = await startConnectProxy({ hosts: { 'kube-api.proxy.test': '127.0.0.1' } });
    ns = await createTestNamespace('proxy');
    apiPort = new URL(admin.clusters[0]!.cluster.server!).port;
  });
  afterAll(async () => {
    await proxy?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => { proxy.connects.length = 0; });

  test('when the cluster has a proxy-url, then list, server-side apply and watch all go through it, and cutting its tunnels ends the watch', async () => {
    const file = kubeconfig('proxy-url', { server: `https://127.0.0.1:${apiPort}`, 'proxy-url': proxy.url });
    // an env proxy that does not exist, and NO_PROXY matching everything: proxy-url wins over both
    const client = await clientFor(file, { httpsProxy: `http://127.0.0.1:${await closedPort()}`, noProxy: '*' });
    const abort = new AbortController();
    try {
      await client.apply(CONFIGMAPS, cm('first'));
      const listed = await client.list<ConfigMap>(CONFIGMAPS, ns);
      expect(listed.items.map((c) => c.metadata.name)).toEqual(['first']);
      const seen: string[] = [];
      const watch = client.watch<ConfigMap>(CONFIGMAPS, ns, { resourceVersion: listed.metadata.resourceVersion, timeoutSeconds: 60, stallMs: 30_000 },
        (ev) => seen.push(`${ev.type} ${ev.object.metadata.name}`), abort.signal);
      const outcome = watch.then(() => 'ended', (err: NodeJS.ErrnoException) => err.code ?? err.message);
      await client.apply(CONFIGMAPS, cm('second'));
      await eventually(() => seen.includes('ADDED second'), 'the watch event through the proxy');
      expect(new Set(proxy.connects)).toEqual(new Set([`127.0.0.1:${apiPort}`]));
      expect(proxy.connects.length).toBeGreaterThanOrEqual(2); // the pooled connection, and the watch's own
      expect(proxy.cutAll()).toBeGreaterThanOrEqual(2);
      await expect(outcome).resolves.toBe('ECONNRESET'); // an error, so the informer relists: not a clean end
    } finally {
      abort.abort();
      client.close();
    }
  });

  test('when HTTPS_PROXY is set, then an API server the operator cannot resolve itself is reached through it, and NO_PROXY sends matching servers direct', async () => {
    // the serving certificate is for localhost/127.0.0.1: tls-server-name checks it under that name
    const named = await clientFor(kubeconfig('env-named', { server: `https://kube-api.proxy.test:${apiPort}`, 'tls-server-name': 'localhost' }),
      { httpsProxy: proxy.url, noProxy: 'localhost,.other.test' });
    // 0.0.0.0 reaches this machine's loopback listeners, but is no loopback address to the proxy rules
    const anyAddr = kubeconfig('env-any', { server: `https://0.0.0.0:${apiPort}`, 'tls-server-name': 'localhost' });
    const proxied = await clientFor(anyAddr, { httpsProxy: proxy.url });
    const bypassed = await clientFor(anyAddr, { httpsProxy: proxy.url, noProxy: '10.0.0.0/8,0.0.0.0/8' });
    try {
      await named.apply(CONFIGMAPS, cm('named'));
      expect(proxy.connects).toEqual([`kube-api.proxy.test:${apiPort}`]);
      await proxied.get(CONFIGMAPS, ns, 'named');
      expect(proxy.connects).toEqual([`kube-api.proxy.test:${apiPort}`, `0.0.0.0:${apiPort}`]);
      proxy.connects.length = 0;
      expect((await bypassed.list<ConfigMap>(CONFIGMAPS, ns)).items.map((c) => c.metadata.name)).toContain('named');
      expect(proxy.connects).toEqual([]);
    } finally {
      for (const c of [named, proxied, bypassed]) c.close();
    }
  });

  test('when the operator runs with a proxy-url, then it reconciles an app entirely through the proxy', async () => {
    const auth = await loadClusterAuth([kubeconfig('operator', { server: `https://127.0.0.1:${apiPort}`, 'proxy-url': proxy.url })]);
    const opNs = await createTestNamespace('proxy-op');
    const world = new World(loadKubeConfig(), opNs);
    const op = await startTestOperator(auth, opNs);
    try {
      await world.createApp('via-proxy', { migration: { enabled: false } });
      await eventually(() => world.deployment('via-proxy'), 'the Deployment applied through the proxy');
      expect(op.client.transport.proxy?.source).toBe('proxy-url');
      // every request of the operator went through the proxy: its informers' watches hold tunnels open
      expect(proxy.connects.every((c) => c === `127.0.0.1:${apiPort}`)).toBe(true);
      expect(proxy.open()).toBeGreaterThanOrEqual(7); // one watch per informer, and the pooled connection
      // counted when the answer arrives, which may be after the stored Deployment is visible to us
      await eventually(() => (op.client.requests.counts()[`apply ${DEPLOYMENTS.plural}`] ?? 0) >= 1, 'the operator counted its Deployment apply');
    } finally {
      await op.stop();
      world.close();
    }
  });

  test('when proxy-url is socks5, then requests and watches go through the SOCKS proxy, which resolves the API server\'s name', async () => {
    const socks = await startSocks5Proxy({ 'kube-api.proxy.test': '127.0.0.1' });
    const client = await clientFor(kubeconfig('socks', { server: `https://kube-api.proxy.test:${apiPort}`, 'tls-server-name': 'localhost', 'proxy-url': socks.url }));
    const abort = new AbortController();
    try {
      await client.apply(CONFIGMAPS, cm('socks'));
      const seen: string[] = [];
      const watch = client.watch<ConfigMap>(CONFIGMAPS, ns, { timeoutSeconds: 60, stallMs: 30_000 }, (ev) => seen.push(ev.object.metadata.name), abort.signal);
      await eventually(() => seen.includes('socks'), 'the watch through the SOCKS proxy');
      abort.abort();
      await watch;
      expect(socks.connects).toEqual([`kube-api.proxy.test:${apiPort}`, `kube-api.proxy.test:${apiPort}`]);
      // nothing went through the CONNECT proxy: not this client's requests, and no tunnel of the
      // previous test's stopped operator (under load one used to open here, after its stop():
      // a watch aborted while its CONNECT was under way; stop() now waits for that attempt)
      expect(proxy.connects).toEqual([]);
    } finally {
      abort.abort();
      client.close();
      await socks.close();
    }
  });

  test('when the SOCKS proxy is unreachable, or cannot reach the API server, then the error names the proxy and is retried', async () => {
    const deadPort = await closedPort();
    const dead = await clientFor(kubeconfig('socks-dead', { server: `https://127.0.0.1:${apiPort}`, 'proxy-url': `socks5://127.0.0.1:${deadPort}` }));
    const socks = await startSocks5Proxy();
    const serverPort = await closedPort();
    const noServer = await clientFor(kubeconfig('socks-no-server', { server: `https://127.0.0.1:${serverPort}`, 'proxy-url': socks.url }));
    try {
      const unreachable = await dead.list(CONFIGMAPS, ns).catch((e: unknown) => e);
      expect(unreachable).toBeInstanceOf(ProxyError);
      expect((unreachable as Error).message).toBe(`proxy socks5://127.0.0.1:${deadPort} (proxy-url) is unreachable: connect ECONNREFUSED 127.0.0.1:${deadPort}`);
      expect(isTransient(unreachable)).toBe(true);
      const refused = await noServer.list(CONFIGMAPS, ns).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ProxyError);
      expect((refused as Error).message).toBe(`proxy ${socks.url} (proxy-url) could not connect to 127.0.0.1:${serverPort}: ConnectionRefused`);
      expect(isTransient(refused)).toBe(true);
      expect(socks.connects).toEqual(Array(FAST_RETRY.attempts).fill(`127.0.0.1:${serverPort}`)); // every attempt went to the proxy
    } finally {
      dead.close();
      noServer.close();
      await socks.close();
    }
  });

  test('when the proxy is unreachable, then requests and watches fail within a second or two with an error naming the proxy', async () => {
    const port = await closedPort();
    const client = await clientFor(kubeconfig('dead', { server: `https://127.0.0.1:${apiPort}`, 'proxy-url': `http://user:secret@127.0.0.1:${port}` }));
    try {
      const t0 = Date.now();
      const err = await client.list(CONFIGMAPS, ns).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProxyError);
      expect((err as Error).message).toBe(`proxy http://127.0.0.1:${port} (proxy-url) is unreachable: connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(isTransient(err)).toBe(true); // retried (FAST_RETRY: 3 attempts), as a restarting proxy deserves
      expect(Date.now() - t0).toBeLessThan(3_000);
      const watch = client.watch(CONFIGMAPS, ns, { timeoutSeconds: 60, stallMs: 60_000 }, () => undefined, new AbortController().signal);
      await expect(watch).rejects.toThrow(`proxy http://127.0.0.1:${port} (proxy-url) is unreachable`);
    } finally {
      client.close();
    }
  });

  test('when the proxy refuses the tunnel (407), then the error says so and is not retried', async () => {
    const refusing = await startConnectProxy({ refuseWith: 407 });
    const client = await clientFor(kubeconfig('refused', { server: `https://127.0.0.1:${apiPort}`, 'proxy-url': refusing.url }));
    try {
      await expect(client.list(CONFIGMAPS, ns)).rejects.toThrow(`proxy ${refusing.url} (proxy-url) refused to tunnel to 127.0.0.1:${apiPort}: HTTP 407`);
      expect(refusing.connects).toHaveLength(1);
    } finally {
      client.close();
      await refusing.close();
    }
  });

  test('when proxy-url or HTTPS_PROXY is malformed, then startup fails naming it', async () => {
    await expect(loadClusterAuth([kubeconfig('bad-scheme', { server: 'https://127.0.0.1:1', 'proxy-url': 'ftp://proxy.corp:21' })]))
      .rejects.toThrow(new KubeconfigError(`${path.join(dir, 'bad-scheme')}: cluster "c" proxy-url "ftp://proxy.corp:21": unsupported scheme "ftp", must be http, https or socks5`));
    await expect(loadClusterAuth([kubeconfig('bad-url', { server: 'https://127.0.0.1:1', 'proxy-url': 'http://exa mple:80' })]))
      .rejects.toThrow(/cluster "c" proxy-url "http:\/\/exa mple:80" is not a URL/);
    expect(() => loadConfig({ POD_NAMESPACE: 'ops', https_proxy: 'http://exa mple:80' })).toThrow(ConfigError);
    expect(() => loadConfig({ POD_NAMESPACE: 'ops', https_proxy: 'http://exa mple:80' })).toThrow(/HTTPS_PROXY \(or https_proxy\): "http:\/\/exa mple:80" is not a URL/);
    expect(loadConfig({ POD_NAMESPACE: 'ops', https_proxy: 'proxy.corp:3128', NO_PROXY: '.svc' }).proxyEnv)
      .toEqual({ httpsProxy: 'proxy.corp:3128', httpProxy: undefined, noProxy: '.svc' });
  });
});
