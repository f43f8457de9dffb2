// Ownership and drift against the real API server: objects the app does not control are never
// adopted (NameConflict), and fields other actors add (a sidecar injector, an extra env var,
// normalised quantities) cause no re-applies, so steady state stays at zero writes.
import { DEPLOYMENTS, SERVICES } from '../../operator/src/kube/resources';
import { afterReconcile, operatorSuite, reconcileCount, ref } from './support/suite';
import { injectSidecar } from './support/sidecar-injector.cjs';
import { condition, eventually, image, type Loose } from './support/world';

const t = operatorSuite('operator-ownership', { resyncPeriodMs: 500 });
const appNow = (name: string) => t.appNow(name);

test('when a Service with the child\'s name exists without this app\'s owner reference, then it is left untouched and the app reports NameConflict', async () => {
  // someone else's Service, even with our managed-by label (so it is in the operator's cache)
  const theirs = await t.world.client.create(SERVICES, {
    metadata: { name: 'taken', namespace: t.ns, labels: { team: 'other', 'app.kubernetes.io/managed-by': 'fastapiapp-operator' } },
    spec: { selector: { team: 'other' }, ports: [{ name: 'web', port: 9999, targetPort: 9999 }] },
  } as Loose);
  // and someone else's Deployment with the same name, without our label (not in the cache)
  const theirDeployment = await t.world.client.create(DEPLOYMENTS, {
    metadata: { name: 'taken', namespace: t.ns, labels: { team: 'other' } },
    spec: {
      replicas: 1, selector: { matchLabels: { team: 'other' } },
      template: { metadata: { labels: { team: 'other' } }, spec: { containers: [{ name: 'web', image: 'other/web:1' }] } },
    },
  } as Loose);
  const app = await t.world.createApp('taken', { migration: { enabled: false } });
  const a = await eventually(async () => { const x = await appNow('taken'); return condition(x, 'Degraded')?.reason === 'NameConflict' && x; }, 'Degraded NameConflict');
  expect(condition(a, 'Degraded')).toMatchObject({ status: 'True', message: expect.stringMatching(/(Service|Deployment) taken already exists and is not controlled by this FastApiApp/) });
  expect(condition(a, 'Ready')).toMatchObject({ status: 'False', reason: 'NameConflict' });
  const events = await eventually(async () => { const e = await t.world.events('taken'); return e.some((x) => x.reason === 'NameConflict') && e; }, 'NameConflict Event');
  expect(events.find((e) => e.reason === 'NameConflict')?.type).toBe('Warning');
  // retried with backoff (a reconcile finished after the Event): still untouched
  await afterReconcile(t.op, 'the NameConflict Event', async () => undefined);
  const svc = (await t.world.service('taken'))!;
  expect(svc.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
  expect(svc.metadata.ownerReferences).toBeUndefined();
  expect(svc.spec.ports).toEqual([expect.objectContaining({ port: 9999 })]);
  const d = (await t.world.deployment('taken'))!;
  expect(d.metadata.resourceVersion).toBe(theirDeployment.metadata.resourceVersion);
  expect(image(d)).toBe('other/web:1');

  // once they are gone, the app's own children are created
  await t.world.client.delete(SERVICES, t.ns, 'taken');
  await t.world.client.delete(DEPLOYMENTS, t.ns, 'taken');
  const mine = await eventually(async () => { const s = await t.world.service('taken'); return s?.metadata.ownerReferences?.[0]?.uid === app.metadata.uid && s; }, 'our Service');
  expect(mine.spec.ports[0].port).toBe(80);
  await eventually(async () => image(await t.world.deployment('taken')) === ref('v1'), 'our Deployment');
  await eventually(async () => condition(await appNow('taken'), 'Degraded')?.status === 'False', 'Degraded=False');
});

test('when another actor injects a sidecar, an env var and normalised quantities, then the operator keeps them and writes nothing', async () => {
  await t.world.createApp('injected', { migration: { enabled: false }, resources: { limits: { cpu: '0.5', memory: '1M' } } });
  const d0 = await eventually(() => t.world.deployment('injected'), 'Deployment');
  await t.world.rollOut('injected');
  await eventually(async () => condition(await appNow('injected'), 'Ready')?.status === 'True', 'Ready');

  // a sidecar injector (its own field manager, server-side apply) adds a container, an env var and a volume mount
  await injectSidecar(t.world.client, d0);
  const injected = (await t.world.deployment('injected'))!;
  expect(injected.spec.template.spec.containers.map((c: { name: string }) => c.name).sort()).toEqual(['app', 'proxy']);
  // the API server normalised our quantities: 0.5 -> 500m, 1M -> 1M (kept), the memory limit is ours
  expect(injected.spec.template.spec.containers.find((c: { name: string }) => c.name === 'app').resources.limits.cpu).toBe('500m');

  // the operator has seen the injected Deployment (the injection enqueued the app) before the baseline
  await afterReconcile(t.op, 'the sidecar injection', async () => undefined);
  const writes = t.op.client.requests.writes();
  const reconciles = await reconcileCount(t.op);
  await eventually(async () => (await reconcileCount(t.op)) >= reconciles + 3, 'three more reconciles (resync every 500 ms)', 10_000);
  expect(t.op.client.requests.writes()).toBe(writes);
  const after = (await t.world.deployment('injected'))!;
  expect(after.metadata.resourceVersion).toBe(injected.metadata.resourceVersion);

  // our next change applies ours and keeps theirs
  await t.world.patchSpec('injected', { env: [{ name: 'FEATURE', value: 'on' }] });
  const changed = await eventually(async () => {
    const x = await t.world.deployment('injected');
    return x?.spec.template.spec.containers.find((c: { name: string }) => c.name === 'app').env.some((e: { name: string }) => e.name === 'FEATURE') && x;
  }, 'FEATURE applied');
  const app = changed.spec.template.spec.containers.find((c: { name: string }) => c.name === 'app');
  expect(app.env.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['INJECTED_PROXY', 'FEATURE', 'DATABASE_URL']));
  expect(changed.spec.template.spec.containers.map((c: { name: string }) => c.name).sort()).toEqual(['app', 'proxy']);
});

