// Migration Jobs against the real API server: one running Job per app, history limit, retry,
// and digest pinning from the migration pod's imageID. The test plays the Job controller (Job
// status, and the migration pod with its container status) and the garbage collector (a Job
// deleted with Foreground propagation keeps the foregroundDeletion finalizer until its pods are
// gone) since no controllers run here.
import { RETRY_MIGRATION_ANNOTATION } from '../../operator/src/desired';
import { FASTAPIAPPS, JOBS } from '../../operator/src/kube/resources';
import { jobFinished } from '../../operator/src/reconcile/observed';
import { afterReconcile, operatorSuite, ref } from './support/suite';
import { condition, eventually, image, type App, type Loose } from './support/world';

const t = operatorSuite('operator-jobs');
const appNow = (name: string) => t.appNow(name);
const running = (jobs: Loose[]) => jobs.filter((j) => !jobFinished(j));

/** Waits for a reconcile after a foreign annotation on Job `name` (a change that enqueues its app and writes nothing). */
const reconciledAfterJobTouched = (name: string) => afterReconcile(t.op, `a foreign annotation on Job ${name}`,
  () => t.world.mergePatch(JOBS, name, { metadata: { annotations: { 'example.com/seen': String(Date.now()) } } }));

/** A Job of the app that is none of `known`. */
async function newJob(app: App, known: Loose[]): Promise<Loose | undefined> {
  return (await t.world.jobsOf(app)).find((j) => !known.some((k) => k.metadata.name === j.metadata.name));
}

async function migrate(app: App, tag: string): Promise<void> {
  const job = await eventually(() => t.world.jobFor(app, ref(tag)), `Job for ${tag}`);
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(async () => (await appNow(app.metadata.name)).status?.migratedImage === ref(tag), `${tag} migrated`);
}

test('when the tag moves A→B→C while B\'s Job runs, then B\'s Job is deleted with Foreground propagation and C\'s is created only once B is gone', async () => {
  const app = await t.world.createApp('abc');
  await migrate(app, 'v1');
  await t.world.patchSpec('abc', { tag: 'v2' });
  const b = await eventually(() => t.world.jobFor(app, ref('v2')), 'Job for B');
  await t.world.patchSpec('abc', { tag: 'v3' });
  // the API server keeps B, being deleted, until the garbage collector removed its pods
  const held = await eventually(async () => { const j = await t.world.job(b.metadata.name); return j?.metadata.deletionTimestamp && j; }, 'B being deleted');
  expect(held.metadata.finalizers).toEqual(['foregroundDeletion']);
  const waiting = await eventually(async () => { const a = await appNow('abc'); return condition(a, 'Migrated')?.reason === 'StoppingSupersededJob' && a; }, 'StoppingSupersededJob');
  expect(condition(waiting, 'Migrated')?.message).toContain(b.metadata.name);
  expect(await t.world.jobFor(app, ref('v3'))).toBeUndefined();
  // B's pods are gone: the collector drops the finalizer, B goes, C starts
  await t.world.collectForeground(b.metadata.name);
  const c = await eventually(() => t.world.jobFor(app, ref('v3')), 'Job for C');
  expect(await t.world.job(b.metadata.name)).toBeUndefined();
  expect(c.metadata.name).not.toBe(b.metadata.name);
  expect(running(await t.world.jobsOf(app)).map((j) => j.metadata.annotations?.['fastapiapp.io/image'])).toEqual([ref('v3')]);
  await migrate(app, 'v3');
  await eventually(async () => image(await t.world.deployment('abc')) === ref('v3'), 'Deployment on C');
});

test('when the tag goes back A→B→A while B\'s Job runs, then A is not migrated until B\'s Job is gone', async () => {
  const app = await t.world.createApp('aba');
  await migrate(app, 'v1');
  await t.world.patchSpec('aba', { tag: 'v2' });
  const b = await eventually(() => t.world.jobFor(app, ref('v2')), 'Job for B');
  await t.world.patchSpec('aba', { tag: 'v1' });
  // Foreground: B stays, being deleted, while its pods terminate (no garbage collector runs here)
  const held = await eventually(async () => { const j = await t.world.job(b.metadata.name); return j?.metadata.deletionTimestamp && j; }, 'B being deleted');
  expect(held.metadata.finalizers).toEqual(['foregroundDeletion']);
  const waiting = await eventually(async () => { const a = await appNow('aba'); return condition(a, 'Migrated')?.reason === 'StoppingSupersededJob' && a; }, 'Migrated=False StoppingSupersededJob');
  expect(condition(waiting, 'Migrated')).toMatchObject({ status: 'False', message: expect.stringContaining(b.metadata.name) });
  expect(condition(waiting, 'Ready')?.status).toBe('False');
  // the operator looked again while B is still held: A is still not migrated, and no Job was made for it
  await reconciledAfterJobTouched(b.metadata.name);
  expect(condition(await appNow('aba'), 'Migrated')?.status).toBe('False');
  expect((await t.world.jobsOf(app)).filter((j) => !j.metadata.deletionTimestamp && j.metadata.annotations?.['fastapiapp.io/image'] === ref('v1') && !jobFinished(j))).toEqual([]);
  // B finally goes: A counts as migrated again, without a new Job
  const jobsBefore = (await t.world.jobsOf(app)).length;
  await t.world.collectForeground(b.metadata.name);
  await eventually(async () => condition(await appNow('aba'), 'Migrated')?.status === 'True', 'Migrated=True for A');
  expect((await t.world.jobsOf(app)).length).toBe(jobsBefore - 1);
  expect(image(await t.world.deployment('aba'))).toBe(ref('v1'));
});

test('when an app goes through many deploys, then at most jobsHistoryLimit Jobs are left', async () => {
  const app = await t.world.createApp('history', { migration: { jobsHistoryLimit: 2 } });
  for (let i = 1; i <= 6; i++) {
    if (i > 1) await t.world.patchSpec('history', { tag: `v${i}` });
    await migrate(app, `v${i}`);
  }
  const left = await eventually(async () => { const j = await t.world.jobsOf(app); return j.length <= 2 && j; }, 'at most 2 Jobs');
  expect(left.map((j) => j.metadata.annotations?.['fastapiapp.io/image'])).toEqual([ref('v5'), ref('v6')]);
});

test('when a failed migration is retried by annotation or its env changes, then a new Job runs for the same image', async () => {
  const app = await t.world.createApp('retry');
  const first = await eventually(() => t.world.jobFor(app, ref('v1')), 'first Job');
  await t.world.finishJob(first.metadata.name, 'failed');
  await eventually(async () => condition(await appNow('retry'), 'Degraded')?.reason === 'MigrationFailed', 'MigrationFailed');
  await reconciledAfterJobTouched(first.metadata.name);
  expect(await t.world.jobsOf(app)).toHaveLength(1); // no retry on its own

  await t.world.mergePatch(FASTAPIAPPS, 'retry', { metadata: { annotations: { [RETRY_MIGRATION_ANNOTATION]: '1' } } });
  const second = await eventually(() => newJob(app, [first]), 'retried Job');
  expect(second.metadata.annotations).toMatchObject({ 'fastapiapp.io/retry': '1' });
  await t.world.finishJob(second.metadata.name, 'failed');
  await eventually(async () => running(await t.world.jobsOf(app)).length === 0, 'second Job failed');

  await t.world.patchSpec('retry', { env: [{ name: 'MIGRATION_LOCK_TIMEOUT', value: '60' }] });
  const third = await eventually(() => newJob(app, [first, second]), 'Job with the new env');
  expect(third.metadata.annotations?.['fastapiapp.io/image']).toBe(ref('v1'));
  expect(third.spec.template.spec.containers[0].env).toEqual(expect.arrayContaining([{ name: 'MIGRATION_LOCK_TIMEOUT', value: '60' }]));
  await t.world.finishJob(third.metadata.name, 'succeeded');
  const healed = await eventually(async () => { const a = await appNow('retry'); return condition(a, 'Migrated')?.status === 'True' && a; }, 'Migrated');
  expect(condition(healed, 'Degraded')?.status).toBe('False');
  expect((await t.world.jobsOf(app)).map((j) => j.metadata.name).sort()).toEqual([first, second, third].map((j) => j.metadata.name).sort());
});

test('when the migration pod ran a registry digest, then the Deployment runs image:tag@digest and status.imageDigest shows it', async () => {
  const digest = `sha256:${'c0ffee'.repeat(10)}abcd`;
  const app = await t.world.createApp('pinned');
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'Job');
  // the pod the Job controller would have made, with the container status the kubelet reports
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await t.world.jobPod(job, 'Succeeded', {
    imageID: `registry.example/items@${digest}`,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, message: '{"command":"pre","result":"applied","pendingPost":[]}' } },
  });
  await t.world.finishJob(job.metadata.name, 'succeeded');
  const d = await eventually(async () => { const x = await t.world.deployment('pinned'); return x && image(x) === `${ref('v1')}@${digest}` && x; }, 'pinned Deployment');
  expect(d.metadata.labels?.['app.kubernetes.io/version']).toBe('v1');
  const a = await eventually(async () => { const x = await appNow('pinned'); return x.status?.imageDigest && x; }, 'status.imageDigest');
  expect(a.status).toMatchObject({ imageDigest: digest, image: `${ref('v1')}@${digest}`, migratedImage: ref('v1') });
  await t.world.rollOut('pinned');
  await eventually(async () => condition(await appNow('pinned'), 'Ready')?.status === 'True', 'Ready on the pinned image');

  // a migration without a pod digest (pods gone) falls back to the tag
  await t.world.patchSpec('pinned', { tag: 'v2' });
  await migrate(app, 'v2');
  await eventually(async () => image(await t.world.deployment('pinned')) === ref('v2'), 'Deployment on the v2 tag');
  expect((await appNow('pinned')).status?.imageDigest).toBeUndefined();
});
