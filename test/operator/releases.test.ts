// Releases against the real API server (issue 27): Ready only once the release is out, rollback
// from status.history without a Job, RollbackBlocked, named failures within seconds, and the
// post-deploy (contract) Job after the full rollout. The test plays the Job and Deployment
// controllers and the kubelet (pod status with the migrate CLI's termination message).
import { DEPLOYMENTS, PODS, SECRETS } from '../../operator/src/kube/resources';
import { operatorSuite, reconcileCount, ref } from './support/suite';
import { condition, eventually, image, type App, type Loose } from './support/world';

const t = operatorSuite('operator-releases');
const appNow = (name: string) => t.appNow(name);
const terminated = (exitCode: number, summary: object) => ({ state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', message: JSON.stringify(summary) } } });

/** Migrates `tag` (its Job's pod reporting `summary`) and rolls it out: Ready=True on it. */
async function release(app: App, tag: string, summary: object = { command: 'pre', result: 'applied', pendingPost: [] }): Promise<App> {
  const name = app.metadata.name;
  if ((await appNow(name)).spec.tag !== tag) await t.world.patchSpec(name, { tag });
  const job = await eventually(() => t.world.jobFor(app, ref(tag)), `Job for ${tag}`);
  await t.world.jobPod(job, 'Succeeded', terminated(0, summary));
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(async () => image(await t.world.deployment(name)) === ref(tag), `Deployment on ${tag}`);
  await t.world.rollOut(name);
  return eventually(async () => { const a = await appNow(name); return condition(a, 'Ready')?.status === 'True' && image(await t.world.deployment(name)) === ref(tag) && a; }, `${tag} Ready`);
}

/** The controller's status for the Deployment's current generation, as it reads when it reuses an old ReplicaSet: complete-looking conditions, one replica updated. */
async function halfRolled(name: string): Promise<void> {
  const d = (await t.world.deployment(name))!;
  await t.world.mergePatch(DEPLOYMENTS, name, {
    status: {
      observedGeneration: d.metadata.generation, replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-1" has successfully progressed.` },
      ],
    },
  }, 'status');
}

/** An app released on v5, then v6 migrated with the contract migration 006_drop_c1 pending: the Deployment switched to v6. */
async function v6WithContractPending(name: string): Promise<App> {
  const app = await t.world.createApp(name, { tag: 'v5' });
  await release(app, 'v5');
  await t.world.patchSpec(name, { tag: 'v6' });
  const pre = await eventually(() => t.world.jobFor(app, ref('v6')), 'pre-deploy Job for v6');
  await t.world.jobPod(pre, 'Succeeded', terminated(0, { command: 'pre', result: 'applied', applied: [], head: '005_c5', pendingPost: ['006_drop_c1'] }));
  await t.world.finishJob(pre.metadata.name, 'succeeded');
  await eventually(async () => image(await t.world.deployment(name)) === ref('v6'), 'Deployment on v6');
  return app;
}

test('when the tag goes back to a migrated revision, then no Job runs, and Ready=True only once every replica runs it: one RolloutComplete', async () => {
  const app = await t.world.createApp('back');
  await release(app, 'v1');
  await release(app, 'v2');
  const jobs = (await t.world.jobsOf(app)).length;
  const completes = (await t.world.events('back')).filter((e) => e.reason === 'RolloutComplete').length;
  const patched = await t.world.patchSpec('back', { tag: 'v1' });
  const rolling = await eventually(async () => { const a = await appNow('back'); return a.status?.observedGeneration === patched.metadata.generation && a; }, 'the tag change processed');
  expect(condition(rolling, 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut', observedGeneration: patched.metadata.generation });
  expect(image(await t.world.deployment('back'))).toBe(ref('v1'));
  // the controller reports this generation with the old rollout's conditions and one pod updated
  const before = await reconcileCount(t.op);
  await halfRolled('back');
  await eventually(async () => (await reconcileCount(t.op)) > before, 'a reconcile after the Deployment status');
  expect(condition(await appNow('back'), 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
  await t.world.rollOut('back');
  await eventually(async () => condition(await appNow('back'), 'Ready')?.status === 'True', 'Ready on v1');
  expect((await t.world.jobsOf(app)).length).toBe(jobs);
  const after = await eventually(async () => { const e = (await t.world.events('back')).filter((x) => x.reason === 'RolloutComplete'); return e.length > completes && e; }, 'RolloutComplete');
  expect(after.length).toBe(completes + 1);
  const status = (await appNow('back')).status!;
  expect(status.history!.map((r) => r.image)).toEqual([ref('v1'), ref('v2')]);
  expect(status.history![1]).toMatchObject({ firstServed: expect.any(String), lastServed: expect.any(String) });
});

test('when contract migrations are pending, then the post-deploy Job starts only after the full rollout; a contract applied blocks the rollback to before it', async () => {
  const app = await v6WithContractPending('contract');
  const pending = await eventually(async () => { const a = await appNow('contract'); return condition(a, 'Migrated')?.status === 'True' && a; }, 'v6 migrated');
  expect(condition(pending, 'PostMigrated')).toMatchObject({ status: 'False', reason: 'PostDeployMigrationPending', message: expect.stringContaining('fully rolled out') });
  const isPost = (j: Loose) => j.metadata.annotations?.['fastapiapp.io/migration-phase'] === 'post';
  expect((await t.world.jobsOf(app)).some(isPost)).toBe(false);
  await t.world.rollOut('contract');
  const post = await eventually(async () => (await t.world.jobsOf(app)).find(isPost), 'post-deploy Job');
  expect(post.spec.template.spec.containers[0].command).toEqual(['node', 'dist/app/src/migrate.js', 'post']);
  await t.world.jobPod(post, 'Succeeded', terminated(0, { command: 'post', result: 'applied', applied: ['006_drop_c1'], head: '006_drop_c1' }));
  await t.world.finishJob(post.metadata.name, 'succeeded');
  const done = await eventually(async () => { const a = await appNow('contract'); return condition(a, 'PostMigrated')?.status === 'True' && a; }, 'PostMigrated');
  expect(done.status!.history![0]).toMatchObject({ image: ref('v6'), contract: ['006_drop_c1'], postMigrated: true });

  // back to v5: refused, named, v6 keeps serving, no Job
  const jobs = (await t.world.jobsOf(app)).length;
  await t.world.patchSpec('contract', { tag: 'v5' });
  const refused = await eventually(async () => { const a = await appNow('contract'); return condition(a, 'Degraded')?.reason === 'RollbackBlocked' && a; }, 'RollbackBlocked');
  expect(condition(refused, 'Degraded')).toMatchObject({ status: 'True', message: expect.stringContaining('006_drop_c1') });
  expect(condition(refused, 'Available')?.status).toBe('True');
  expect(image(await t.world.deployment('contract'))).toBe(ref('v6'));
  expect((await t.world.jobsOf(app)).length).toBe(jobs);
  const events = await eventually(async () => { const e = (await t.world.events('contract')).filter((x) => x.reason === 'RollbackBlocked'); return e.length > 0 && e; }, 'RollbackBlocked Event');
  expect(events).toEqual([expect.objectContaining({ type: 'Warning' })]);
});

test('when the database Secret is missing, then SecretNotFound at once and no Job; once it exists, the migration runs', async () => {
  const started = Date.now();
  const app = await t.world.createApp('nosecret', { databaseSecretRef: { name: 'absent-db' } });
  const a = await eventually(async () => { const x = await appNow('nosecret'); return condition(x, 'Degraded')?.reason === 'SecretNotFound' && x; }, 'SecretNotFound');
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(condition(a, 'Degraded')).toMatchObject({ status: 'True', message: expect.stringContaining('absent-db') });
  expect(await t.world.jobsOf(app)).toEqual([]);
  await eventually(async () => (await t.world.events('nosecret')).some((e) => e.reason === 'SecretNotFound'), 'SecretNotFound Event');
  await t.world.ensureSecret('absent-db');
  await eventually(() => t.world.jobFor(app, ref('v1')), 'Job once the Secret exists');
});

test('when databaseSecretRef switches to another database with the same tag, then it is migrated before any pod uses it', async () => {
  const app = await t.world.createApp('switch');
  await release(app, 'v1');
  await t.world.ensureSecret('empty-db', 'postgres://app:pw@db/empty');
  const first = (await t.world.jobsOf(app))[0]!;
  await t.world.patchSpec('switch', { databaseSecretRef: { name: 'empty-db' } });
  const job = await eventually(async () => (await t.world.jobsOf(app)).find((j) => j.metadata.name !== first.metadata.name), 'Job for the new database');
  expect(job.spec.template.spec.containers[0].env[0]).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'empty-db', key: 'DATABASE_URL' } } });
  await eventually(async () => condition(await appNow('switch'), 'Ready')?.reason === 'MigrationRunning', 'MigrationRunning');
  const secretOf = (d: Loose | undefined) => d?.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'DATABASE_URL')?.valueFrom.secretKeyRef.name;
  expect(secretOf(await t.world.deployment('switch'))).toBe('db');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(async () => secretOf(await t.world.deployment('switch')) === 'empty-db', 'pods on the new database after its migration');
});

test('when the migration pod cannot pull its image, then ImagePullFailed names it within seconds, with one Event', async () => {
  const app = await t.world.createApp('nopull');
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'Job');
  const started = Date.now();
  await t.world.jobPod(job, 'Pending', { state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/items:v1"' } } });
  const a = await eventually(async () => { const x = await appNow('nopull'); return condition(x, 'Degraded')?.reason === 'ImagePullFailed' && x; }, 'ImagePullFailed');
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(condition(a, 'Degraded')?.message).toContain(`${job.metadata.name}-p1`);
  const events = await eventually(async () => { const e = (await t.world.events('nopull')).filter((x) => x.reason === 'ImagePullFailed'); return e.length > 0 && e; }, 'Event');
  expect(events).toHaveLength(1);
});

test('when a Job for a revision not in history exits 3, then RollbackBlocked names the contract migration from its termination message', async () => {
  const app = await t.world.createApp('exit3', { tag: 'v7' });
  await release(app, 'v7');
  await t.world.patchSpec('exit3', { tag: 'v0' });
  const job = await eventually(() => t.world.jobFor(app, ref('v0')), 'Job for v0');
  await t.world.jobPod(job, 'Failed', terminated(3, { command: 'pre', result: 'blocked', blockedBy: '006_drop_c1', message: 'rollback blocked by contract migration 006_drop_c1' }));
  await t.world.finishJob(job.metadata.name, 'failed');
  const a = await eventually(async () => { const x = await appNow('exit3'); return condition(x, 'Degraded')?.reason === 'RollbackBlocked' && x; }, 'RollbackBlocked');
  expect(condition(a, 'Degraded')?.message).toContain('006_drop_c1');
  expect(image(await t.world.deployment('exit3'))).toBe(ref('v7'));
  // the Secret still exists (not a SecretNotFound case)
  expect(await t.world.get(SECRETS, 'db')).toBeDefined();
});

test('when the rollout is complete but a replaced pod is still terminating, then the post-deploy Job starts only once that pod is gone', async () => {
  const app = await v6WithContractPending('drain');
  // a v5 pod draining (the kubelet holds it while it shuts down: here a finalizer)
  const labels = { 'app.kubernetes.io/name': 'fastapiapp', 'app.kubernetes.io/instance': 'drain', 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/managed-by': 'fastapiapp-operator' };
  await t.world.client.create(PODS, {
    metadata: { name: 'drain-v5-old', namespace: t.world.namespace, labels, finalizers: ['test.fastapiapp.io/draining'] },
    spec: { containers: [{ name: 'app', image: ref('v5') }] },
  } as Loose);
  await t.world.client.delete(PODS, t.world.namespace, 'drain-v5-old');
  await t.world.rollOut('drain');
  // the operator processed the complete rollout (Ready=True on v6) and holds the contract Job for the draining pod
  const held = await eventually(async () => { const a = await appNow('drain'); return condition(a, 'Ready')?.status === 'True' && condition(a, 'PostMigrated')?.message.includes('drain-v5-old') && a; }, 'Ready, the post-deploy Job held');
  expect(condition(held, 'PostMigrated')).toMatchObject({ status: 'False', reason: 'PostDeployMigrationPending', observedGeneration: held.metadata.generation });
  const isPost = (j: Loose) => j.metadata.annotations?.['fastapiapp.io/migration-phase'] === 'post';
  expect((await t.world.jobsOf(app)).some(isPost)).toBe(false);
  await t.world.mergePatch(PODS, 'drain-v5-old', { metadata: { finalizers: null } }); // the pod is gone
  await eventually(async () => (await t.world.jobsOf(app)).find(isPost), 'post-deploy Job once the pod is gone');
});
