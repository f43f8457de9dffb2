// The operator against the real API server: create, migrate-then-rollout, tag changes, failed
// migrations, plain spec changes, drift, readiness, pause, owner references, steady state.
// No kubelet or controllers run: the test writes Job and Deployment status itself.
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { DEPLOYMENTS, FASTAPIAPPS, JOBS, SERVICES } from '../../operator/src/kube/resources';
import { startTestOperator, probe, type TestOperator } from './support/operator';
import { afterReconcile, reconcileCount } from './support/suite';
import { condition, eventually, image, World, type App } from './support/world';

let kc: KubeConfig;
let ns: string;
let world: World;
let op: TestOperator;

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('operator-lifecycle');
  world = new World(kc, ns);
  op = await startTestOperator(kc, ns);
  await eventually(() => op.isReady(), 'caches synced');
});

afterAll(async () => {
  await op?.stop();
  world?.close();
});

const ref = (tag: string) => `registry.example/items:${tag}`;
const appNow = async (name: string) => (await world.app(name))!;

async function createMigrated(name: string, spec = {}): Promise<App> {
  const app = await world.createApp(name, spec);
  const job = await eventually(() => world.jobFor(app, ref('v1')), 'migration Job for v1');
  await world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => world.deployment(name), 'Deployment');
  return app;
}

test('when a FastApiApp is created, then Service and ServiceMonitor appear, the Job runs, and the Deployment waits for it', async () => {
  const app = await world.createApp('create');
  const job = await eventually(() => world.jobFor(app, ref('v1')), 'migration Job');
  expect(job.spec.template.spec.containers[0].image).toBe(ref('v1'));
  await eventually(() => world.service('create'), 'Service');
  await eventually(() => world.serviceMonitor('create'), 'ServiceMonitor');
  const waiting = await eventually(async () => {
    const a = await appNow('create');
    return condition(a, 'Migrated')?.reason === 'MigrationRunning' && a;
  }, 'Migrated=False MigrationRunning');
  expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False', reason: 'MigrationRunning' });
  expect(await world.deployment('create')).toBeUndefined();

  await world.finishJob(job.metadata.name, 'succeeded');
  const d = await eventually(() => world.deployment('create'), 'Deployment after the Job succeeded');
  expect(image(d)).toBe(ref('v1'));
  const migrated = await eventually(async () => {
    const a = await appNow('create');
    return a.status?.migratedImage === ref('v1') && a;
  }, 'status.migratedImage');
  expect(migrated.status).toMatchObject({ image: ref('v1'), observedGeneration: migrated.metadata.generation });
  expect(condition(migrated, 'Migrated')).toMatchObject({ status: 'True', reason: 'MigrationSucceeded' });
  expect((await world.jobs()).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'create')).toHaveLength(1);
});

test('when migrations are disabled, then the Deployment is created at once and no Job exists', async () => {
  await world.createApp('nomig', { migration: { enabled: false } });
  const d = await eventually(() => world.deployment('nomig'), 'Deployment');
  expect(image(d)).toBe(ref('v1'));
  const a = await eventually(async () => { const x = await appNow('nomig'); return condition(x, 'Migrated')?.status === 'True' && x; }, 'Migrated');
  expect(condition(a, 'Migrated')?.reason).toBe('MigrationDisabled');
  expect((await world.jobs()).some((j) => j.metadata.ownerReferences?.[0]?.name === 'nomig')).toBe(false);
});

test('when the Deployment reports all replicas updated and available, then Ready=True (and not before)', async () => {
  await createMigrated('ready');
  const before = await eventually(async () => { const a = await appNow('ready'); return a.status?.image && a; }, 'status.image');
  expect(condition(before, 'Ready')?.status).toBe('False');
  await world.rollOut('ready');
  const a = await eventually(async () => { const x = await appNow('ready'); return condition(x, 'Ready')?.status === 'True' && x; }, 'Ready=True');
  expect(condition(a, 'Ready')).toMatchObject({ reason: 'Available', observedGeneration: a.metadata.generation });
  expect(a.status).toMatchObject({ replicas: 2, readyReplicas: 2, selector: expect.stringContaining('app.kubernetes.io/instance=ready') });
  expect(condition(a, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
  expect(condition(a, 'Degraded')?.status).toBe('False');
  expect((await world.events('ready')).some((e) => e.reason === 'RolloutComplete')).toBe(true);
});

test('when the tag changes, then a new Job runs while the Deployment keeps the old image until it succeeds', async () => {
  const app = await createMigrated('retag');
  await world.rollOut('retag');
  await eventually(async () => condition(await appNow('retag'), 'Ready')?.status === 'True', 'Ready');
  await world.patchSpec('retag', { tag: 'v2' });
  const job2 = await eventually(() => world.jobFor(app, ref('v2')), 'Job for v2');
  const during = await eventually(async () => { const a = await appNow('retag'); return condition(a, 'Migrated')?.status === 'False' && a; }, 'Migrated=False');
  expect(during.status).toMatchObject({ image: ref('v1'), migratedImage: ref('v1') });
  expect(condition(during, 'Ready')?.status).toBe('False');
  expect(image(await world.deployment('retag'))).toBe(ref('v1'));

  await world.finishJob(job2.metadata.name, 'succeeded');
  await eventually(async () => image(await world.deployment('retag')) === ref('v2'), 'Deployment on v2');
  const after = await eventually(async () => { const a = await appNow('retag'); return a.status?.migratedImage === ref('v2') && a; }, 'migratedImage v2');
  expect(after.status?.image).toBe(ref('v2'));
  expect((await world.deployment('retag'))!.metadata.labels?.['app.kubernetes.io/version']).toBe('v2');
});

test('when the migration fails, then the Deployment stays, Degraded=True MigrationFailed, an Event is recorded, the Job is kept, and a new tag starts over', async () => {
  const app = await createMigrated('failing');
  await world.patchSpec('failing', { tag: 'v2' });
  const bad = await eventually(() => world.jobFor(app, ref('v2')), 'Job for v2');
  await world.finishJob(bad.metadata.name, 'failed');
  const a = await eventually(async () => { const x = await appNow('failing'); return condition(x, 'Degraded')?.status === 'True' && x; }, 'Degraded');
  expect(condition(a, 'Degraded')?.reason).toBe('MigrationFailed');
  expect(condition(a, 'Migrated')).toMatchObject({ status: 'False', reason: 'MigrationFailed' });
  expect(condition(a, 'Ready')?.status).toBe('False');
  expect(a.status).toMatchObject({ image: ref('v1'), migratedImage: ref('v1') });
  expect(image(await world.deployment('failing'))).toBe(ref('v1'));
  const events = await eventually(async () => { const e = await world.events('failing'); return e.some((x) => x.reason === 'MigrationFailed') && e; }, 'MigrationFailed Event');
  expect(events.find((e) => e.reason === 'MigrationFailed')).toMatchObject({ type: 'Warning', involvedObject: { kind: 'FastApiApp', name: 'failing' } });

  // a pass later nothing changed: the failed Job stays, no retry Job, Deployment untouched
  const deploymentBefore = (await world.deployment('failing'))!;
  await afterReconcile(op, 'a foreign annotation on the failed Job', () => world.mergePatch(JOBS, bad.metadata.name, { metadata: { annotations: { 'example.com/seen': 'yes' } } }));
  expect(await world.job(bad.metadata.name)).toBeDefined();
  expect((await world.deployment('failing'))!.metadata.resourceVersion).toBe(deploymentBefore.metadata.resourceVersion);
  expect((await world.jobs()).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'failing')).toHaveLength(2);

  await world.patchSpec('failing', { tag: 'v3' });
  const v3 = await eventually(() => world.jobFor(app, ref('v3')), 'Job for v3');
  await world.finishJob(v3.metadata.name, 'succeeded');
  await eventually(async () => image(await world.deployment('failing')) === ref('v3'), 'Deployment on v3');
  const healed = await eventually(async () => { const x = await appNow('failing'); return x.status?.migratedImage === ref('v3') && x; }, 'migratedImage v3');
  expect(condition(healed, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
  expect(condition(healed, 'Migrated')).toMatchObject({ status: 'True', reason: 'MigrationSucceeded' });
  expect(await world.job(bad.metadata.name)).toBeDefined();
});

test('when replicas, resources or the service change, then they are applied without a migration; an env change migrates first', async () => {
  const app = await createMigrated('tweak');
  const jobsBefore = (await world.jobsOf(app)).length;
  await world.patchSpec('tweak', {
    replicas: 3,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    service: { type: 'NodePort', port: 8080 },
  });
  const d = await eventually(async () => { const x = await world.deployment('tweak'); return x?.spec.replicas === 3 && x; }, 'replicas 3');
  const c = d.spec.template.spec.containers[0];
  expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  const svc = await eventually(async () => { const s = await world.service('tweak'); return s?.spec.type === 'NodePort' && s; }, 'NodePort Service');
  expect(svc.spec.ports[0].port).toBe(8080);
  expect(image(d)).toBe(ref('v1'));
  expect((await world.jobsOf(app)).length).toBe(jobsBefore);

  // env is a Job input: the migration runs with it before the pods get it
  const withEnv = await world.patchSpec('tweak', { env: [{ name: 'FEATURE', value: 'on' }] });
  const job = await eventually(async () => (await world.jobsOf(app)).find((j) => j.spec.template.spec.containers[0].env.some((e: { name: string }) => e.name === 'FEATURE')), 'Job with the new env');
  await eventually(async () => (await appNow('tweak')).status?.observedGeneration === withEnv.metadata.generation, 'the env change processed');
  const held = (await world.deployment('tweak'))!;
  expect(held.spec.template.spec.containers[0].env.some((e: { name: string }) => e.name === 'FEATURE')).toBe(false);
  expect(held.spec.replicas).toBe(3);
  await world.finishJob(job.metadata.name, 'succeeded');
  await eventually(async () => (await world.deployment('tweak'))!.spec.template.spec.containers[0].env.some((e: { name: string }) => e.name === 'FEATURE'), 'FEATURE applied after the Job');
  // removing env again: the first inputs are in status.history, so no Job; the field is removed (we own it)
  await world.patchSpec('tweak', { env: null });
  await eventually(async () => !(await world.deployment('tweak'))!.spec.template.spec.containers[0].env.some((e: { name: string }) => e.name === 'FEATURE'), 'FEATURE removed');
  expect((await world.jobsOf(app)).length).toBe(jobsBefore + 1);
});

test('when someone edits the Deployment image or replicas or deletes the Service, then it is put back', async () => {
  await createMigrated('drift');
  await world.mergePatch(DEPLOYMENTS, 'drift', { spec: { replicas: 7, template: { spec: { containers: [{ name: 'app', image: 'evil/image:x' }] } } } });
  await eventually(async () => { const d = await world.deployment('drift'); return d?.spec.replicas === 2 && image(d) === ref('v1'); }, 'Deployment restored');
  await world.client.delete(SERVICES, ns, 'drift');
  await eventually(() => world.service('drift'), 'Service re-created');
});

test('when paused, then children are left alone and Paused=True; when unpaused, then it resumes', async () => {
  await createMigrated('pause');
  await world.patchSpec('pause', { paused: true });
  await eventually(async () => condition(await appNow('pause'), 'Paused')?.status === 'True', 'Paused=True');
  const deploymentBefore = (await world.deployment('pause'))!;
  // the operator has seen the Service's deletion (its owner was reconciled after it) ...
  await afterReconcile(op, 'deleting the Service', () => world.client.delete(SERVICES, ns, 'pause'));
  const patched = await world.patchSpec('pause', { replicas: 5 });
  // ... and the new generation (the status notes it, still Paused) ...
  await eventually(async () => (await appNow('pause')).status?.observedGeneration === patched.metadata.generation, 'paused status at the new generation');
  // ... and wrote nothing else: the Deployment is untouched, the Service stays deleted
  const deploymentAfter = (await world.deployment('pause'))!;
  expect(deploymentAfter.metadata.resourceVersion).toBe(deploymentBefore.metadata.resourceVersion);
  expect(deploymentAfter.spec.replicas).toBe(2);
  expect(await world.service('pause')).toBeUndefined();
  expect(condition(await appNow('pause'), 'Paused')).toMatchObject({ status: 'True', observedGeneration: patched.metadata.generation });
  await world.patchSpec('pause', { paused: false });
  await eventually(async () => (await world.deployment('pause'))?.spec.replicas === 5, 'replicas applied after unpause');
  await eventually(() => world.service('pause'), 'Service back after unpause');
  await eventually(async () => condition(await appNow('pause'), 'Paused')?.status === 'False', 'Paused=False');
});

// What the garbage collector acts on when a FastApiApp is deleted. envtest runs no GC, so the
// deletion itself is proven on the real cluster: test/e2e/whole-path.test.ts "9. deleting the FastApiApp".
test('when children exist, then each has a controller owner reference to its FastApiApp with its uid (the garbage collector\'s input)', async () => {
  const app = await createMigrated('owned');
  const children = [await world.deployment('owned'), await world.service('owned'), await world.serviceMonitor('owned'), await world.jobFor(app, ref('v1'))];
  for (const child of children) {
    expect(child?.metadata.ownerReferences).toEqual([{
      apiVersion: 'platform.fastapiapp.io/v1alpha1', kind: 'FastApiApp', name: 'owned', uid: app.metadata.uid, controller: true, blockOwnerDeletion: true,
    }]);
    expect(child?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('fastapiapp-operator');
  }
  // A re-apply (after drift) keeps the reference: the operator never orphans a child it repairs.
  await afterReconcile(op, 'a drifted Deployment', () => world.mergePatch(DEPLOYMENTS, 'owned', { spec: { replicas: 9 } }));
  const repaired = await eventually(async () => { const d = await world.deployment('owned'); return d?.spec.replicas === 2 && d; }, 'Deployment repaired');
  expect(repaired.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: app.metadata.uid, controller: true, blockOwnerDeletion: true })]);
});

test('when nothing changes, then reconciles (including a full resync) issue zero write requests', async () => {
  await createMigrated('steady');
  await world.rollOut('steady');
  await eventually(async () => condition(await appNow('steady'), 'Ready')?.status === 'True', 'Ready');
  // the leader has finished with the rollout: a reconcile after a later change (writes from here on would be news)
  await afterReconcile(op, 'a foreign annotation on the Service', () => world.mergePatch(SERVICES, 'steady', { metadata: { annotations: { 'example.com/settled': 'yes' } } }));
  const writesBefore = op.client.requests.writes();
  const readsBefore = op.client.requests.counts();
  // a second operator with a 1 s resync reconciles every app (failed, paused-then-resumed, ready
  // ones alike) at least twice more: still zero writes
  const apps = (await world.client.list(FASTAPIAPPS, ns)).items.length;
  const op2 = await startTestOperator(kc, ns, { leaderElect: false, resyncPeriodMs: 1000 });
  try {
    await eventually(() => op2.isReady(), 'second operator synced');
    await eventually(async () => (await reconcileCount(op2)) >= 3 * apps, 'second operator reconciled every app thrice', 20_000);
    expect(op2.client.requests.writes()).toBe(0);
  } finally {
    await op2.stop();
  }
  // the leader reconciles 'steady' too (a foreign annotation on its Service enqueues it): no write, no re-read of the app
  await afterReconcile(op, 'a foreign annotation on the Service', () => world.mergePatch(SERVICES, 'steady', { metadata: { annotations: { 'example.com/seen': 'yes' } } }));
  expect(op.client.requests.writes()).toBe(writesBefore);
  expect(op.client.requests.counts()['get fastapiapps'] ?? 0).toBe(readsBefore['get fastapiapps'] ?? 0);
});

test('when running, then /healthz, /readyz and /metrics answer with controller-runtime metric names, and logs name the app', async () => {
  expect((await probe(op, '/healthz')).status).toBe(200);
  expect((await probe(op, '/readyz')).status).toBe(200);
  const { status, body } = await probe(op, '/metrics');
  expect(status).toBe(200);
  for (const name of ['controller_runtime_reconcile_total{controller="fastapiapp",result="success"}', 'controller_runtime_reconcile_errors_total',
    'controller_runtime_reconcile_time_seconds_bucket', 'workqueue_depth{name="fastapiapp"}', 'workqueue_adds_total{name="fastapiapp"}',
    'workqueue_queue_duration_seconds_bucket', 'workqueue_retries_total', 'fastapiapp_migrations_total{result="started"}',
    'fastapiapp_migrations_total{result="succeeded"}', 'fastapiapp_migrations_total{result="failed"} 1', 'fastapiapp_apps{condition="Ready",status="True"}', 'fastapiapp_apps{condition="Available",status="True"}', 'fastapiapp_apps_degraded{reason="RolloutStuck"} 0', 'rest_client_requests_total']) {
    expect(body).toContain(name);
  }
  const aboutApps = op.logs.filter((l) => typeof l.msg === 'string' && /^applying /.test(l.msg));
  expect(aboutApps.length).toBeGreaterThan(0);
  for (const l of aboutApps) expect(l.fastapiapp).toMatch(new RegExp(`^${ns}/`));
});
