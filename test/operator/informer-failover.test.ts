// Behaviour 13, part 2: relist on "too large resource version". The informer syncs from the shared
// API server, then the TCP proxy in front of it moves its connections to a second, real API
// server with its own etcd whose resourceVersions are far behind (a failover to another control
// plane, an etcd restored from an older state; both planes share a CA, so the client's
// credentials and trust carry over). The informer's resourceVersion is in that server's future:
// watching from it would wait for changes that server may never have. It must relist and serve
// exactly what the new server holds, including objects of the same names as on the first server
// whose resourceVersions there are far lower than the ones it cached (a relist replaces the cache).
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { KubeClient } from '../../operator/src/kube/client';
import { Informer } from '../../operator/src/runtime/informer';
import type { ConfigMap } from '../../operator/src/kube/types';
import { CONFIGMAPS, kubeConfigVia, memoryLogger, mirrorOf, snapshot } from './support/informer-kit';
import { startPrivateControlPlane, type PrivateControlPlane } from './support/private-control-plane';
import { startTcpProxyFor, type TcpProxy } from './support/tcp-proxy';
import { eventually } from './support/world';

const NAMESPACES = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };

let plane: PrivateControlPlane;
let first: KubeClient;
let second: KubeClient;
let proxy: TcpProxy;
let viaProxy: KubeClient;
let informer: Informer<ConfigMap> | undefined;
let ns: string;

const configMap = (name: string, value = name): ConfigMap => ({ metadata: { name, namespace: ns }, data: { value } });
const rvOf = async (c: KubeClient): Promise<number> => Number((await c.list(CONFIGMAPS, ns)).metadata.resourceVersion);

beforeAll(async () => {
  const kc = loadKubeConfig();
  plane = await startPrivateControlPlane(90_000, { caFrom: process.env.ENVTEST_CERT_DIR });
  first = new KubeClient(kc);
  second = new KubeClient(plane.kubeConfig());
  ns = await createTestNamespace('failover', kc);
  await second.create(NAMESPACES, { metadata: { name: ns } });
  proxy = await startTcpProxyFor(kc);
  viaProxy = new KubeClient(kubeConfigVia(kc, proxy.url));
}, 120_000);

afterAll(async () => {
  await informer?.stop();
  viaProxy?.close();
  await proxy?.close();
  first?.close();
  second?.close();
  await plane?.stop();
});

test('when the informer moves to an API server whose resourceVersions are behind its own, then it gets "too large resource version", relists, and serves that server\'s state', async () => {
  await first.create(CONFIGMAPS, configMap('only-on-first'));
  for (const n of ['only-on-second-1', 'only-on-second-2']) await second.create(CONFIGMAPS, configMap(n));
  // the same names on both servers, different contents (and uids)
  for (const n of ['shared-1', 'shared-2']) await second.create(CONFIGMAPS, configMap(n, 'second'));
  // make sure the first server is well ahead (it usually is: the other suites write to it)
  await first.create(CONFIGMAPS, configMap('rv-pusher'));
  for (let i = 0; (await rvOf(first)) <= (await rvOf(second)) + 100 && i < 500; i++) {
    await first.update(CONFIGMAPS, { ...(await first.get<ConfigMap>(CONFIGMAPS, ns, 'rv-pusher'))!, data: { i: String(i) } });
  }
  expect(await rvOf(first)).toBeGreaterThan((await rvOf(second)) + 100);
  for (const n of ['shared-1', 'shared-2']) await first.create(CONFIGMAPS, configMap(n, 'first'));

  const log = memoryLogger();
  informer = new Informer<ConfigMap>(viaProxy, {
    resource: CONFIGMAPS, namespace: ns, watchTimeoutSeconds: 600, reconnect: { baseMs: 100, maxMs: 1_000 },
  }, log.logger);
  const mirror = mirrorOf(informer);
  informer.start();
  await informer.waitForSync();
  expect(informer.get(ns, 'only-on-first')).toBeDefined();
  expect(informer.get(ns, 'shared-1')?.data).toEqual({ value: 'first' });
  // the cached copies of the shared names are newer, by resourceVersion, than the second server's
  const onSecond = new Map((await second.list<ConfigMap>(CONFIGMAPS, ns)).items.map((o) => [o.metadata.name, o]));
  for (const n of ['shared-1', 'shared-2']) {
    expect(BigInt(informer.get(ns, n)!.metadata.resourceVersion!)).toBeGreaterThan(BigInt(onSecond.get(n)!.metadata.resourceVersion!));
  }
  await first.create(CONFIGMAPS, configMap('seen-by-watch'));
  await eventually(() => informer!.get(ns, 'seen-by-watch'), 'the watch on the first server delivers');

  // failover: the watch's connection drops, every new one reaches the second server
  proxy.retarget({ host: '127.0.0.1', port: Number(new URL(plane.kubeConfig().getCurrentCluster()!.server).port) });
  proxy.cut();
  proxy.heal();

  // name -> data, uid and resourceVersion: the very objects of the second server
  const view = (o: ConfigMap): [string, unknown] => [`${ns}/${o.metadata.name}`, { data: o.data, uid: o.metadata.uid, rv: o.metadata.resourceVersion }];
  const expected = async (): Promise<Array<[string, unknown]>> => snapshot((await second.list<ConfigMap>(CONFIGMAPS, ns)).items.map(view));
  const cached = (): Array<[string, unknown]> => snapshot(informer!.list().map(view));
  await eventually(async () => JSON.stringify(cached()) === JSON.stringify(await expected()), 'cache holds the second server\'s state', 30_000, 200)
    .catch((err: Error) => { throw new Error(`${err.message}; requests ${JSON.stringify(viaProxy.requests.counts())}, accepted ${proxy.accepted()}, logs ${JSON.stringify(log.records.map((r) => r.msg))}, cached ${JSON.stringify(cached())}`); });
  expect(log.matching('too large resource version').length).toBeGreaterThanOrEqual(1);
  expect(informer.relistCount()).toBeGreaterThanOrEqual(1);
  // handlers saw what only the first server had go, and the shared names change to the second's
  expect(snapshot(mirror)).toEqual(snapshot((await second.list<ConfigMap>(CONFIGMAPS, ns)).items.map((o) => [`${ns}/${o.metadata.name}`, o.data])));
  expect(informer.get(ns, 'shared-2')?.data).toEqual({ value: 'second' });

  await second.create(CONFIGMAPS, configMap('after-failover'));
  await eventually(() => informer!.get(ns, 'after-failover'), 'the watch on the second server delivers');
}, 120_000);
