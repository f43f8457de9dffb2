// Relist on 410 Gone: an informer that was cut off long enough for etcd to compact past its
// resourceVersion must relist and end up with exactly what exists, including what was added,
// changed, deleted and re-created while it was away. A private control plane compacts every
// second and serves watches from etcd (no watch cache), so an old resourceVersion really is
// answered with 410; a TCP proxy in front of it cuts the informer off and lets it back.
import { KubeClient } from '../../operator/src/kube/client';
import { KubeApiError } from '../../operator/src/kube/errors';
import { Informer } from '../../operator/src/runtime/informer';
import type { ConfigMap } from '../../operator/src/kube/types';
import { CONFIGMAPS, kubeConfigVia, memoryLogger, mirrorOf, snapshot } from './support/informer-kit';
import { startPrivateControlPlane, type PrivateControlPlane } from './support/private-control-plane';
import { startTcpProxyFor, type TcpProxy } from './support/tcp-proxy';
import { eventually } from './support/world';

const NS = 'relist';

let plane: PrivateControlPlane;
let admin: KubeClient;
let proxy: TcpProxy;
let viaProxy: KubeClient;
let informer: Informer<ConfigMap> | undefined;

const configMap = (name: string, value: string): ConfigMap => ({ metadata: { name, namespace: NS }, data: { value } });

/** The status a watch from rv starts with: 410 once etcd has compacted past rv, else 200. */
async function watchStatusFrom(rv: string): Promise<number> {
  let status = 200;
  try {
    await admin.watch<ConfigMap>(CONFIGMAPS, NS, { resourceVersion: rv, timeoutSeconds: 1, stallMs: 10_000 }, (ev) => {
      if (ev.type === 'ERROR') {
        status = (ev.object as { code?: number }).code ?? 500;
        throw new Error('watch error event'); // ends the watch
      }
    }, AbortSignal.timeout(5_000));
  } catch (err) {
    if (err instanceof KubeApiError) status = err.statusCode;
  }
  return status;
}

beforeAll(async () => {
  plane = await startPrivateControlPlane(90_000, {
    apiserverArgs: ['--etcd-compaction-interval=1s', '--watch-cache=false'],
  });
  const kc = plane.kubeConfig();
  admin = new KubeClient(kc);
  await admin.create({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, { metadata: { name: NS } });
  proxy = await startTcpProxyFor(kc);
  viaProxy = new KubeClient(kubeConfigVia(kc, proxy.url));
}, 120_000);

afterAll(async () => {
  await informer?.stop();
  viaProxy?.close();
  await proxy?.close();
  admin?.close();
  await plane?.stop();
});

test('when the informer watches from a compacted resourceVersion, then it gets 410, relists, and its cache and handlers converge on the real state', async () => {
  for (let i = 0; i < 10; i++) await admin.create(CONFIGMAPS, configMap(`keep-${i}`, 'v1'));
  const log = memoryLogger();
  informer = new Informer<ConfigMap>(viaProxy, {
    resource: CONFIGMAPS, namespace: NS, pageSize: 4, // paged lists, as with many objects
    stallMs: 60_000, watchTimeoutSeconds: 600, reconnect: { baseMs: 50, maxMs: 250 },
  }, log.logger);
  const mirror = mirrorOf(informer);
  informer.start();
  await informer.waitForSync();
  await admin.create(CONFIGMAPS, configMap('seen-by-watch', 'v1'));
  await eventually(() => informer!.get(NS, 'seen-by-watch'), 'watch delivers an event before the cut');
  expect(informer.size()).toBe(11);

  // Cut the informer off: it keeps retrying its watch from the resourceVersion it holds.
  proxy.cut();
  const cutRv = (await admin.list(CONFIGMAPS, NS)).metadata.resourceVersion!; // >= the informer's
  for (let i = 0; i < 5; i++) await admin.delete(CONFIGMAPS, NS, `keep-${i}`);
  await admin.update(CONFIGMAPS, { ...(await admin.get<ConfigMap>(CONFIGMAPS, NS, 'keep-5'))!, data: { value: 'v2' } });
  await admin.delete(CONFIGMAPS, NS, 'keep-6'); // deleted and re-created under the same name
  await admin.create(CONFIGMAPS, configMap('keep-6', 'recreated'));
  await admin.delete(CONFIGMAPS, NS, 'seen-by-watch');
  for (let i = 0; i < 10; i++) await admin.create(CONFIGMAPS, configMap(`new-${i}`, 'v1'));
  // The API server itself answers a watch from before the cut with 410 once etcd has compacted.
  await eventually(async () => (await watchStatusFrom(cutRv)) === 410, 'etcd compaction past the cut (watch answers 410)', 30_000, 250);
  // (a 410 before the cut is possible on a very slow machine, so count rather than expect none)
  const gonesBefore = log.matching('410 Gone').length;
  const listsBefore = viaProxy.requests.counts()['list configmaps'] ?? 0;

  proxy.heal();
  await eventually(() => log.matching('410 Gone').length > gonesBefore, 'informer sees 410 Gone', 20_000);
  const real = (await admin.list<ConfigMap>(CONFIGMAPS, NS)).items;
  const expected = snapshot(real.map((o) => [`${NS}/${o.metadata.name}`, o.data]));
  expect(expected).toHaveLength(15);
  const cached = (): Array<[string, unknown]> => snapshot(informer!.list().map((o) => [`${NS}/${o.metadata.name}`, o.data]));
  await eventually(() => JSON.stringify(cached()) === JSON.stringify(expected), 'cache converges after the relist', 20_000);
  expect(cached()).toEqual(expected);
  expect(snapshot(mirror)).toEqual(expected); // handlers saw the deletes of the gap too
  expect(informer.get(NS, 'keep-6')?.metadata.uid).toBe(real.find((o) => o.metadata.name === 'keep-6')!.metadata.uid);
  // 15 objects in pages of 4: the relist took 4 list requests
  expect((viaProxy.requests.counts()['list configmaps'] ?? 0) - listsBefore).toBeGreaterThanOrEqual(4);

  // and it watches again from the relist's resourceVersion
  await admin.create(CONFIGMAPS, configMap('after-relist', 'v1'));
  await eventually(() => informer!.get(NS, 'after-relist'), 'watch after the relist');
}, 120_000);
