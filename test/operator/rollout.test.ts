// Rollout semantics against the real API server: Ready follows the Deployment controller's own
// conditions (an HPA scale is not a rollout), a stuck rollout is Degraded, pause is Unknown, and
// Available (serving) is reported apart from Ready (done). The test plays the Deployment and Job
// controllers by writing their status, as the Deployment controller would.
import { DATABASE_SECRET_HASH_ANNOTATION, WATCHED_SECRET_LABEL, WATCHED_SECRET_SELECTOR } from '../../operator/src/desired';
import { DEPLOYMENTS, FASTAPIAPPS, NETWORKPOLICIES, PDBS, SECRETS } from '../../operator/src/kube/resources';
import { afterReconcile, operatorSuite, ref } from './support/suite';
import { condition, eventually, image, type App, type Loose } from './support/world';

const t = operatorSuite('operator-rollout');
const appNow = (name: string) => t.appNow(name);
const versionLabel = (o: { metadata: { labels?: Record<string, string> } } | undefined) => o?.metadata.labels?.['app.kubernetes.io/version'];

/** Created, migrated for v1 and rolled out: Ready=True. */
async function readyApp(name: string): Promise<App> {
  const app = await t.world.createApp(name);
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'migration Job for v1');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => t.world.deployment(name), 'Deployment');
  await t.world.rollOut(name);
  return eventually(async () => { const a = await appNow(name); return condition(a, 'Ready')?.status === 'True' && a; }, `${name} Ready=True`);
}

test('when an HPA scales the app through the scale subresource, then Ready never flips and no Event is emitted', async () => {
  const before = await readyApp('hpa');
  const readySince = condition(before, 'Ready')!.lastTransitionTime;
  const eventsBefore = (await t.world.events('hpa')).length;
  // "Ready never flipped" is an unchanged lastTransitionTime: the operator keeps it while the status stays the same
  const readyUnchanged = async () => expect(condition(await appNow('hpa'), 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: readySince });
  await t.world.mergePatch(FASTAPIAPPS, 'hpa', { spec: { replicas: 5 } }, 'scale');
  await eventually(async () => (await t.world.deployment('hpa'))?.spec.replicas === 5, 'Deployment replicas 5');
  // the Deployment controller has not caught up (its status still describes the 2 old replicas):
  // once the operator has reconciled on that stale status, Ready is still the same True
  await afterReconcile(t.op, 'a foreign annotation on the scaled Deployment', () => t.world.mergePatch(DEPLOYMENTS, 'hpa', { metadata: { annotations: { 'example.com/seen': 'stale' } } }));
  await readyUnchanged();
  // the controller catches up and brings up only 3 of the 5 pods for now: its Available turns False
  await t.world.rollOut('hpa', () => 3);
  const partly = await eventually(async () => { const x = await appNow('hpa'); return x.status?.replicas === 3 && x; }, 'status.replicas 3');
  expect(condition(partly, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  await readyUnchanged();
  await t.world.rollOut('hpa');
  await eventually(async () => (await appNow('hpa')).status?.readyReplicas === 5, 'status.readyReplicas 5');
  const after = await appNow('hpa');
  expect(condition(after, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: readySince, observedGeneration: after.metadata.generation });
  expect((await t.world.events('hpa')).length).toBe(eventsBefore);
});

test('when the Deployment exceeds its progress deadline, then Degraded=True RolloutStuck, Ready=False, a Warning Event, and Available stays True', async () => {
  const app = await readyApp('stuck');
  await t.world.patchSpec('stuck', { tag: 'v2' });
  const job = await eventually(() => t.world.jobFor(app, ref('v2')), 'Job for v2');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(async () => image(await t.world.deployment('stuck')) === ref('v2'), 'Deployment on v2');
  await t.world.stallRollout('stuck');
  const a = await eventually(async () => { const x = await appNow('stuck'); return condition(x, 'Degraded')?.reason === 'RolloutStuck' && x; }, 'Degraded RolloutStuck');
  expect(condition(a, 'Degraded')).toMatchObject({ status: 'True', message: expect.stringContaining('timed out progressing') });
  expect(condition(a, 'Ready')).toMatchObject({ status: 'False', reason: 'RolloutStuck' });
  expect(condition(a, 'Available')?.status).toBe('True');
  const events = await eventually(async () => { const e = await t.world.events('stuck'); return e.some((x) => x.reason === 'RolloutStuck') && e; }, 'RolloutStuck Event');
  expect(events.filter((e) => e.reason === 'RolloutStuck')).toEqual([expect.objectContaining({ type: 'Warning' })]);
  // once the new pods come up, it heals
  await t.world.rollOut('stuck');
  const healed = await eventually(async () => { const x = await appNow('stuck'); return condition(x, 'Ready')?.status === 'True' && x; }, 'Ready again');
  expect(condition(healed, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
});

test('when the FastApiApp or its Deployment is paused, then Ready=Unknown Paused, so waiting for Ready cannot succeed', async () => {
  await readyApp('paused');
  const patched = await t.world.patchSpec('paused', { paused: true, tag: 'v2' });
  const a = await eventually(async () => { const x = await appNow('paused'); return x.status?.observedGeneration === patched.metadata.generation && x; }, 'paused status');
  expect(condition(a, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Paused', observedGeneration: patched.metadata.generation });
  await t.world.patchSpec('paused', { paused: false, tag: 'v1' });
  await eventually(async () => condition(await appNow('paused'), 'Ready')?.status === 'True', 'Ready after resume');

  // kubectl rollout pause deployment/paused
  await t.world.mergePatch(DEPLOYMENTS, 'paused', { spec: { paused: true } });
  const d = await eventually(async () => { const x = await appNow('paused'); return condition(x, 'Ready')?.status === 'Unknown' && x; }, 'Ready=Unknown on a paused Deployment');
  expect(condition(d, 'Ready')).toMatchObject({ reason: 'Paused', message: expect.stringContaining('kubectl rollout resume') });
  await t.world.mergePatch(DEPLOYMENTS, 'paused', { spec: { paused: null } });
  await t.world.rollOut('paused');
  await eventually(async () => condition(await appNow('paused'), 'Ready')?.status === 'True', 'Ready after rollout resume');
});

test('when a migration runs and then fails, then Available stays True (old pods serve) and the Deployment\'s labels name the running version', async () => {
  const app = await readyApp('serving');
  expect(condition(app, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
  const service = await t.world.service('serving');
  expect(versionLabel(service)).toBeUndefined(); // a release need not relabel the Service
  await t.world.patchSpec('serving', { tag: 'v2' });
  const job = await eventually(() => t.world.jobFor(app, ref('v2')), 'Job for v2');
  const running = await eventually(async () => { const x = await appNow('serving'); return condition(x, 'Ready')?.reason === 'MigrationRunning' && x; }, 'MigrationRunning');
  expect(condition(running, 'Available')?.status).toBe('True');
  await t.world.finishJob(job.metadata.name, 'failed');
  const failed = await eventually(async () => { const x = await appNow('serving'); return condition(x, 'Degraded')?.reason === 'MigrationFailed' && x; }, 'MigrationFailed');
  expect(condition(failed, 'Ready')?.status).toBe('False');
  expect(condition(failed, 'Available')?.status).toBe('True');
  const d = (await t.world.deployment('serving'))!;
  expect(versionLabel(d)).toBe('v1');
  expect(d.spec.template.metadata.labels['app.kubernetes.io/version']).toBe('v1');
  // the migration and its failure did not re-apply the Service
  expect((await t.world.service('serving'))!.metadata.resourceVersion).toBe(service!.metadata.resourceVersion);
});

test('when the first migration has not finished, then the Service carries no version label and Available=False NoDeployment', async () => {
  const app = await t.world.createApp('fresh');
  await eventually(() => t.world.jobFor(app, ref('v1')), 'Job for v1');
  const svc = await eventually(() => t.world.service('fresh'), 'Service');
  expect(versionLabel(svc)).toBeUndefined();
  const a = await eventually(async () => { const x = await appNow('fresh'); return condition(x, 'Available') && x; }, 'Available condition');
  expect(condition(a, 'Available')).toMatchObject({ status: 'False', reason: 'NoDeployment' });
});

test('when the database Secret is unlabelled, then SecretNotFound says to label it; once labelled and its referenced key changes, the migration runs first (it may name another database), then the pods roll', async () => {
  const annotation = (d: Loose | undefined) => d?.spec.template.metadata.annotations?.[DATABASE_SECRET_HASH_ANNOTATION];
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await t.world.client.create(SECRETS, {
    metadata: { name: 'rotating-db', namespace: t.ns },
    data: { DATABASE_URL: b64('postgres://app:one@db/items'), OTHER: b64('x') },
  } as Loose);
  const app = await t.world.createApp('rotate', { databaseSecretRef: { name: 'rotating-db' } });
  // not labelled: the operator does not see it, says how to fix it, and starts nothing (its value's hash is a migration input)
  const unmarked = await eventually(async () => { const a = await appNow('rotate'); return condition(a, 'SecretWatched')?.status === 'False' && a; }, 'SecretWatched=False');
  expect(condition(unmarked, 'SecretWatched')).toMatchObject({ reason: 'SecretNotWatched', observedGeneration: unmarked.metadata.generation });
  expect(condition(unmarked, 'SecretWatched')!.message).toContain(`kubectl label secret rotating-db ${WATCHED_SECRET_SELECTOR}`);
  expect(condition(unmarked, 'Degraded')).toMatchObject({ status: 'True', reason: 'SecretNotFound' });
  expect(condition(unmarked, 'Degraded')!.message).toContain(`kubectl label secret rotating-db ${WATCHED_SECRET_SELECTOR}`);
  expect(await t.world.jobsOf(app)).toHaveLength(0);

  await t.world.mergePatch(SECRETS, 'rotating-db', { metadata: { labels: { [WATCHED_SECRET_LABEL]: 'true' } } });
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'Job');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  const first = await eventually(async () => { const d = await t.world.deployment('rotate'); return annotation(d) && d; }, 'Deployment with the Secret hash');
  await eventually(async () => condition(await appNow('rotate'), 'SecretWatched')?.reason === 'SecretWatched', 'SecretWatched=True');
  await t.world.rollOut('rotate');
  await eventually(async () => condition(await appNow('rotate'), 'Ready')?.status === 'True', 'Ready');

  // another key of the Secret changes: nothing rolls
  await afterReconcile(t.op, 'another key of the Secret', () => t.world.mergePatch(SECRETS, 'rotating-db', { data: { OTHER: b64('y') } }));
  expect(annotation(await t.world.deployment('rotate'))).toBe(annotation(first));

  // the value of DATABASE_URL changes: a new Job first (the pods keep the old template), then a new pod template
  await t.world.mergePatch(SECRETS, 'rotating-db', { data: { DATABASE_URL: b64('postgres://app:two@db/items') } });
  const second = await eventually(async () => (await t.world.jobsOf(app)).find((j) => j.metadata.name !== job.metadata.name), 'a Job for the new value');
  await eventually(async () => condition(await appNow('rotate'), 'Migrated')?.reason === 'MigrationRunning', 'Migrated=False MigrationRunning');
  expect(annotation(await t.world.deployment('rotate'))).toBe(annotation(first));
  await t.world.finishJob(second.metadata.name, 'succeeded');
  const rolled = await eventually(async () => { const d = await t.world.deployment('rotate'); return annotation(d) !== annotation(first) && d; }, 'new Secret hash');
  expect(rolled.metadata.generation).toBeGreaterThan(first.metadata.generation!);
  await eventually(async () => condition(await appNow('rotate'), 'Ready')?.reason === 'RollingOut', 'Ready=False RollingOut');
  await t.world.rollOut('rotate');
  await eventually(async () => condition(await appNow('rotate'), 'Ready')?.status === 'True', 'Ready after the rollout');
  expect(await t.world.jobsOf(app)).toHaveLength(2);
  // the hash is not the value
  expect(JSON.stringify(rolled)).not.toContain(b64('postgres://app:two@db/items'));
});

test('when the app has more than one replica, then a PodDisruptionBudget guards its pods; at one replica it is deleted', async () => {
  await readyApp('budget');
  const pdb = await eventually(() => t.world.get(PDBS, 'budget'), 'PodDisruptionBudget');
  expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/instance': 'budget', 'app.kubernetes.io/component': 'server' } } });
  expect(pdb.metadata.labels?.['app.kubernetes.io/version']).toBeUndefined();
  await t.world.mergePatch(FASTAPIAPPS, 'budget', { spec: { replicas: 1 } }, 'scale');
  await eventually(async () => !(await t.world.get(PDBS, 'budget')), 'PodDisruptionBudget deleted at one replica');
  await t.world.patchSpec('budget', { replicas: 3, disruptionBudget: { maxUnavailable: '50%' } });
  const back = await eventually(() => t.world.get(PDBS, 'budget'), 'PodDisruptionBudget back at three replicas');
  expect(back.spec.maxUnavailable).toBe('50%');
});

test('when an app is created, then a NetworkPolicy fences its pods; when spec.networkPolicy.enabled turns false, it is deleted', async () => {
  await t.world.createApp('fenced', { migration: { enabled: false } });
  const policy = await eventually(() => t.world.get(NETWORKPOLICIES, 'fenced'), 'NetworkPolicy');
  expect(policy.spec).toMatchObject({ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'fenced' } }, policyTypes: ['Ingress'] });
  expect(policy.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'FastApiApp', name: 'fenced', controller: true });
  await t.world.patchSpec('fenced', { networkPolicy: { enabled: false } });
  await eventually(async () => !(await t.world.get(NETWORKPOLICIES, 'fenced')), 'NetworkPolicy deleted');
});
