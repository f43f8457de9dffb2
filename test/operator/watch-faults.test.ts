// Behaviour 13, part 1: a watch that ends at once without delivering anything (a proxy or load
// balancer closing streams) must not become a hot loop of watch requests: the informer backs
// off as client-go does ("very short watch"), keeps its cache, and picks up changes once watches
// last again. The streams are closed by a real HTTP proxy in front of the real API server.
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { KubeClient } from '../../operator/src/kube/client';
import { Informer } from '../../operator/src/runtime/informer';
import type { ConfigMap } from '../../operator/src/kube/types';
import { CONFIGMAPS, memoryLogger } from './support/informer-kit';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy';
import { eventually, sleep } from './support/world';

let proxy: FaultProxy;
let admin: KubeClient;
let viaProxy: KubeClient;
let informer: Informer<ConfigMap> | undefined;
let ns: string;

beforeAll(async () => {
  const kc = loadKubeConfig();
  admin = new KubeClient(kc);
  ns = await createTestNamespace('watch-faults', kc);
  proxy = await startFaultProxy(kc);
  viaProxy = new KubeClient(proxy.kubeConfig());
});

afterAll(async () => {
  await informer?.stop();
  viaProxy?.close();
  admin?.close();
  await proxy?.close();
});

test('when every watch stream is closed at once, then the informer backs off between watches instead of looping, and recovers when streams last', async () => {
  await admin.create(CONFIGMAPS, { metadata: { name: 'before', namespace: ns }, data: { v: '1' } });
  const watchesHere = (): number[] => proxy.log.filter((r) => r.watch && r.url.includes(`/namespaces/${ns}/configmaps`)).map((r) => r.at);
  proxy.setRule((r) => (r.watch ? { endWatch: true } : undefined));
  const log = memoryLogger();
  informer = new Informer<ConfigMap>(viaProxy, {
    resource: CONFIGMAPS, namespace: ns, watchTimeoutSeconds: 600, reconnect: { baseMs: 200, maxMs: 1_600 },
  }, log.logger);
  informer.start();
  await informer.waitForSync(); // the list is answered
  expect(informer.get(ns, 'before')).toBeDefined();
  await sleep(5_000);

  const at = watchesHere();
  // backoff 200, 400, 800, 1600, 1600 ms (jittered 50-100 %): at most ~10 watches in 5 s; a hot loop makes thousands
  expect(at.length).toBeGreaterThanOrEqual(3);
  expect(at.length).toBeLessThanOrEqual(12);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  expect(Math.max(...gaps.slice(-2))).toBeGreaterThan(Math.min(...gaps.slice(0, 2))); // the waits grow
  expect(log.matching('list/watch failed').some((r) => (r.err as { type?: string } | undefined)?.type === 'VeryShortWatchError')).toBe(true);
  expect(viaProxy.requests.counts()['list configmaps']).toBe(1); // closed streams are no reason to relist

  proxy.setRule(undefined);
  await admin.create(CONFIGMAPS, { metadata: { name: 'after', namespace: ns }, data: { v: '1' } });
  await eventually(() => informer!.get(ns, 'after'), 'a change arrives once watches last', 10_000);
}, 30_000);
