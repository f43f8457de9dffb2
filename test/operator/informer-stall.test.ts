// The stall detector: a watch whose connection stays open but goes silent (a NAT or load
// balancer dropping a flow, client-node's known silent watches) must be noticed within the
// stall timeout and replaced, without losing the changes made meanwhile. A real TCP proxy
// between the informer and the shared API server freezes the established connections.
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { KubeClient } from '../../operator/src/kube/client';
import { Informer } from '../../operator/src/runtime/informer';
import type { ConfigMap } from '../../operator/src/kube/types';
import { CONFIGMAPS, kubeConfigVia, memoryLogger, mirrorOf, snapshot } from './support/informer-kit';
import { startTcpProxyFor, type TcpProxy } from './support/tcp-proxy';
import { eventually } from './support/world';

const STALL_MS = 2_000;

let kc: KubeConfig;
let admin: KubeClient;
let proxy: TcpProxy;
let viaProxy: KubeClient;
let informer: Informer<ConfigMap> | undefined;
let ns: string;

const configMap = (name: string, value: string): ConfigMap => ({ metadata: { name, namespace: ns }, data: { value } });

beforeAll(async () => {
  kc = loadKubeConfig();
  admin = new KubeClient(kc);
  ns = await createTestNamespace('informer-stall', kc);
  proxy = await startTcpProxyFor(kc);
  viaProxy = new KubeClient(kubeConfigVia(kc, proxy.url));
});

afterAll(async () => {
  await informer?.stop();
  viaProxy?.close();
  await proxy?.close();
  admin?.close();
});

test('when the watch connection goes silent, then the informer notices within its stall timeout, reconnects, and sees the changes made during and after the stall', async () => {
  const log = memoryLogger();
  informer = new Informer<ConfigMap>(viaProxy, {
    resource: CONFIGMAPS, namespace: ns, stallMs: STALL_MS, watchTimeoutSeconds: 600, reconnect: { baseMs: 50, maxMs: 500 },
  }, log.logger);
  const mirror = mirrorOf(informer);
  await admin.create(CONFIGMAPS, configMap('before', '1'));
  informer.start();
  await informer.waitForSync();
  const gone = await admin.create(CONFIGMAPS, configMap('gone', '1'));
  // the event just re-armed the stall timer: the watch is open and has STALL_MS to go
  await eventually(() => informer!.get(ns, 'gone'), 'watch delivers an event before the stall', 20_000, 5);

  const connectionsBefore = proxy.accepted();
  expect(proxy.stall()).toBeGreaterThanOrEqual(1); // the watch (and any idle keep-alive socket)
  // made while the watch is frozen: it cannot deliver these
  await admin.create(CONFIGMAPS, configMap('during', '1'));
  await admin.update(CONFIGMAPS, { ...(await admin.get<ConfigMap>(CONFIGMAPS, ns, 'before'))!, data: { value: '2' } });
  await admin.delete(CONFIGMAPS, ns, gone.metadata.name);

  // The informer closes the silent socket itself (the proxy never does) and watches again.
  await eventually(() => proxy.stalledClosedByClient() >= 1, 'informer closes the stalled connection', STALL_MS + 10_000, 20);
  expect(log.matching('list/watch failed').some((r) => (r.err as { type?: string } | undefined)?.type === 'WatchStalledError')).toBe(true);
  await eventually(() => informer!.get(ns, 'during') && informer!.get(ns, 'before')?.data?.value === '2' && !informer!.get(ns, 'gone'),
    'changes made during the stall', STALL_MS + 10_000);
  expect(proxy.accepted()).toBeGreaterThan(connectionsBefore);

  await admin.create(CONFIGMAPS, configMap('after', '1'));
  await eventually(() => informer!.get(ns, 'after'), 'a change made after the reconnect');

  const real = (await admin.list<ConfigMap>(CONFIGMAPS, ns)).items;
  const expected = snapshot(real.map((o) => [`${ns}/${o.metadata.name}`, o.data]));
  expect(snapshot(informer.list().map((o) => [`${ns}/${o.metadata.name}`, o.data]))).toEqual(expected);
  expect(snapshot(mirror)).toEqual(expected);
  // the watch resumed from its resourceVersion: one list (the initial one), no relist
  expect(informer.relistCount()).toBe(0);
  expect(viaProxy.requests.counts()['list configmaps']).toBe(1);
}, 60_000);
