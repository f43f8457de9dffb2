// The end-to-end suites' WatchRecorder (test/e2e/support/watch.ts) on a real kube-apiserver: it
// waits on events instead of polling, and replays what existed at a resourceVersion, which agrees
// with the API server's own list at exactly that resourceVersion.
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { WatchRecorder } from '../e2e/support/watch';

let kc: KubeConfig;
let core: CoreV1Api;
let ns: string;
let watch: WatchRecorder<V1ConfigMap>;

beforeAll(async () => {
  kc = loadKubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  ns = await createTestNamespace('watch-recorder');
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' }, data: { v: '0' } } });
  watch = await WatchRecorder.start<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`);
});
afterAll(() => watch?.stop());

test('when objects change after the watch started, then until() sees each change in order and objectsAt(rv) equals the list at exactly rv', async () => {
  await watch.until('the existing ConfigMap', (e) => (e.object.metadata?.name === 'before' ? true : undefined), 10_000);
  const a = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } });
  const b = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' }, data: { v: '1' } } });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
  const deleted = await watch.until('a deleted', (e) => (e.type === 'DELETED' && e.object.metadata?.name === 'a' ? e : undefined), 10_000);
  expect(watch.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED before', 'ADDED a', 'ADDED b', 'DELETED a']);

  const names = (rv: number) => [...watch.objectsAt(rv).keys()].sort();
  const listed = async (rv: number) => (await core.listNamespacedConfigMap({ namespace: ns, resourceVersion: String(rv), resourceVersionMatch: 'Exact' }))
    .items.map((c) => c.metadata!.name!).sort();
  for (const rv of [Number(a.metadata!.resourceVersion), Number(b.metadata!.resourceVersion), deleted.value.rv]) {
    expect(names(rv)).toEqual(await listed(rv));
  }
  expect(names(Number(b.metadata!.resourceVersion))).toEqual(['a', 'b', 'before']);
  expect(names(deleted.value.rv)).toEqual(['b', 'before']);
});

test('when nothing matches, then until() fails after its timeout naming what it waited for', async () => {
  await expect(watch.until('a ConfigMap named never', (e) => (e.object.metadata?.name === 'never' ? true : undefined), 300))
    .rejects.toThrow(/timed out after 300 ms waiting for a ConfigMap named never/);
});
