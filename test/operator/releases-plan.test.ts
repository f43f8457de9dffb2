// Pure parts of releases (issue 27): the Job's inputs decide, rollback from status.history,
// named failures, Ready only once every replica runs the new template, and the post-deploy phase.
import type { FastApiApp, Revision } from '../../operator/src/api/types';
import { TEMPLATE_HASH_ANNOTATION, withDefaults } from '../../operator/src/desired';
import type { Observed } from '../../operator/src/reconcile/observed';
import { plan } from '../../operator/src/reconcile/plan';
import { postState } from '../../operator/src/reconcile/post-deploy';
import { contractSince, markServed, putFirst } from '../../operator/src/reconcile/revisions';
import { computeStatus } from '../../operator/src/reconcile/status';
import type { Loose } from './support/world';
import { app, T0, T1 } from './support/pure';

const inputs = (tag: string) => ({ pre: `in-${tag}`, post: `post-${tag}` });
const seen = (o: Partial<Observed> = {}): Observed => ({ monitoringServed: true, jobs: o.targetJob ? [o.targetJob] : [], inputs: inputs('v2'), ...o });
const job = (name: string, status: unknown): Loose => ({ metadata: { name, uid: `${name}-uid` }, spec: {}, status });
const running = { active: 1 };
const failed = { conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'Container migrate for pod x failed with exit code 3' }] };
/** A pod of `j` as the migration pod cache keeps it. */
const pod = (j: Loose, phase: string, container: Record<string, unknown>): Loose => ({
  metadata: { name: `${j.metadata.name}-p`, creationTimestamp: T0, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: j.metadata.name, uid: j.metadata.uid!, controller: true }] },
  status: { phase, containerStatuses: [{ name: 'migrate', ...container }] },
});
const terminated = (exitCode: number, message: object) => ({ state: { terminated: { exitCode, message: JSON.stringify(message) } } });
const rev = (tag: string, extra: Partial<Revision> = {}): Revision => ({ image: `reg/items:${tag}`, inputs: `in-${tag}`, migratedAt: T0, ...extra });
const deployment = (image: string, status: Record<string, unknown>, generation = 2, hash = 'tpl-new'): Loose => ({
  metadata: { name: 'shop', generation, annotations: { [TEMPLATE_HASH_ANNOTATION]: hash } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image }] } } },
  status: { observedGeneration: generation, ...status },
});
const complete = [
  { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
  { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
];
const statusOf = (a: FastApiApp, o: Observed, now = T0) => {
  const spec = withDefaults(a.spec);
  const p = plan(a, spec, o);
  return computeStatus(a, spec, { plan: p, observed: o }, now);
};
const cond = (s: FastApiApp['status'], type: string) => s?.conditions?.find((c) => c.type === type);

describe('the Job inputs decide (item 4)', () => {
  test('when the inputs that ran are recorded, then nothing runs; when only the Secret value (another database) changed, then a Job runs first and the pod template is held', () => {
    const a = app({}, { image: 'reg/items:v2', migratedImage: 'reg/items:v2', migratedInputs: 'in-v2' });
    expect(plan(a, withDefaults(a.spec), seen()).migration).toEqual({ phase: 'succeeded', from: 'recorded' });
    // same tag, the Secret now points elsewhere: different inputs hash
    const p = plan(a, withDefaults(a.spec), seen({ inputs: { pre: 'in-v2-otherdb', post: 'x' } }));
    expect(p.migration.phase).toBe('needsJob');
    expect(p.holdTemplate).toBe(true);
    expect(p.runImage).toBe('reg/items:v2');
  });

  test('when the status was written by an older operator (migratedImage only), then it is trusted once: no Job, and the inputs are recorded', () => {
    const a = app({}, { image: 'reg/items:v2', migratedImage: 'reg/items:v2', imageDigest: `sha256:${'a'.repeat(64)}` });
    const p = plan(a, withDefaults(a.spec), seen());
    expect(p.migration).toEqual({ phase: 'succeeded', from: 'legacy' });
    expect(p.runImage).toBe(`reg/items:v2@sha256:${'a'.repeat(64)}`);
    const s = statusOf(a, seen());
    expect(s.migratedInputs).toBe('in-v2');
    expect(s.history).toEqual([expect.objectContaining({ inputs: 'in-v2', digest: `sha256:${'a'.repeat(64)}` })]);
    // a different tag is not covered by it
    const b = app({ tag: 'v3' }, a.status);
    expect(plan(b, withDefaults(b.spec), seen({ inputs: inputs('v3') })).migration.phase).toBe('needsJob');
  });

  test('when the database Secret or its key is missing, then SecretNotFound names it and no Job is made', () => {
    const a = app({}, { image: 'reg/items:v1', migratedInputs: 'in-v1' });
    const o = seen({ inputs: undefined, secretProblem: 'Secret ns/db (spec.databaseSecretRef) not found' });
    const p = plan(a, withDefaults(a.spec), o);
    expect(p.migration).toMatchObject({ phase: 'blocked', reason: 'SecretNotFound' });
    expect(p.runImage).toBe('reg/items:v1');
    const s = statusOf(a, o);
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'SecretNotFound', message: expect.stringContaining('Secret ns/db') });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  });
});

describe('named failures of a running migration pod (item 7)', () => {
  test.each([
    ['ImagePullBackOff', 'ImagePullFailed'],
    ['ErrImagePull', 'ImagePullFailed'],
    ['CreateContainerConfigError', 'MigrationPodFailed'],
  ])('when the migration pod waits in %s, then Degraded=True %s naming the pod', (waiting, reason) => {
    const j = job('shop-migrate-x', running);
    const o = seen({ targetJob: j, pods: [pod(j, 'Pending', { state: { waiting: { reason: waiting, message: 'details' } } })] });
    const s = statusOf(app({}, { image: 'reg/items:v1' }), o);
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason, message: expect.stringContaining('shop-migrate-x-p') });
  });
  test('when the pod is merely starting (ContainerCreating), then it is just running', () => {
    const j = job('shop-migrate-x', running);
    const o = seen({ targetJob: j, pods: [pod(j, 'Pending', { state: { waiting: { reason: 'ContainerCreating' } } })] });
    expect(plan(app(), withDefaults(app().spec), o).migration.phase).toBe('running');
  });
});

describe('rollback (item 1)', () => {
  const history = [rev('v5', { firstServed: T0 }), rev('v4', { firstServed: T0, lastServed: T0 }), rev('v1', { digest: `sha256:${'1'.repeat(64)}` })];
  const at = (tag: string, h: Revision[] = history) => app({ tag }, { image: 'reg/items:v5', migratedInputs: 'in-v5', history: h });

  test('when the tag goes back to a revision in history with unchanged inputs, then the Deployment rolls at once to its digest, no Job', () => {
    const a = at('v1');
    const p = plan(a, withDefaults(a.spec), seen({ inputs: inputs('v1') }));
    expect(p.migration).toEqual({ phase: 'succeeded', from: 'history' });
    expect(p.runImage).toBe(`reg/items:v1@sha256:${'1'.repeat(64)}`);
    const s = statusOf(a, seen({ inputs: inputs('v1') }));
    expect(s.history!.map((r) => r.inputs)).toEqual(['in-v1', 'in-v5', 'in-v4']);
  });

  test('when a contract migration was applied since, then RollbackBlocked names it and the Deployment stays', () => {
    const h = [rev('v6', { postMigrated: true, contract: ['006_drop_c1'] }), ...history];
    const a = app({ tag: 'v5' }, { image: 'reg/items:v6', migratedInputs: 'in-v6', history: h });
    const o = seen({ inputs: inputs('v5'), deployment: deployment('reg/items:v6', {}) });
    const p = plan(a, withDefaults(a.spec), o);
    expect(p.migration).toMatchObject({ phase: 'blocked', reason: 'RollbackBlocked', message: expect.stringContaining('006_drop_c1') });
    expect(p.runImage).toBe('reg/items:v6');
    expect(p.holdTemplate).toBe(true);
    expect(cond(statusOf(a, o), 'Degraded')).toMatchObject({ status: 'True', reason: 'RollbackBlocked' });
    // a later post-deploy Job that did not say what it applied: the Job decides
    expect(contractSince([rev('v6', { postMigrated: true }), ...history], 'in-v5')).toBe('unknown');
    const unknown = app({ tag: 'v5' }, { ...a.status, history: [rev('v6', { postMigrated: true }), ...history] });
    expect(plan(unknown, withDefaults(a.spec), seen({ inputs: inputs('v5') })).migration.phase).toBe('needsJob');
  });

  test('when the revision is not in history, then its Job runs; exit 3 with the CLI summary is RollbackBlocked naming the migration', () => {
    const a = at('v0');
    const j = job('shop-migrate-v0', failed);
    const o = seen({ inputs: inputs('v0'), targetJob: j, pods: [pod(j, 'Failed', terminated(3, { command: 'pre', result: 'blocked', blockedBy: '006_drop_c1', message: 'rollback blocked by contract migration 006_drop_c1' }))] });
    expect(plan(a, withDefaults(a.spec), seen({ inputs: inputs('v0') })).migration.phase).toBe('needsJob');
    expect(plan(a, withDefaults(a.spec), o).migration).toMatchObject({ phase: 'blocked', reason: 'RollbackBlocked', message: expect.stringContaining('006_drop_c1') });
  });

  test('when a migration Job succeeds, then history records its schema head and pending post-deploy migrations, newest first, at most 10', () => {
    const a = app({}, { image: 'reg/items:v1', migratedInputs: 'in-v1', history: Array.from({ length: 10 }, (_, i) => rev(`r${i}`)) });
    const j = job('shop-migrate-v2', { succeeded: 1 });
    const o = seen({ targetJob: j, pods: [pod(j, 'Succeeded', terminated(0, { command: 'pre', result: 'applied', applied: ['005_c3'], head: '005_c3', pendingPost: ['006_drop'] }))] });
    const s = statusOf(a, o);
    expect(s.history).toHaveLength(10);
    expect(s.history![0]).toEqual({ image: 'reg/items:v2', inputs: 'in-v2', migratedAt: T0, schemaHead: '005_c3', pendingPost: ['006_drop'] });
    expect(s.migratedInputs).toBe('in-v2');
  });

  test('when a post-deploy Job is stopped while it runs (the tag moved on), then its release is marked interrupted and a rollback past it runs a Job', () => {
    const postJob: Loose = {
      metadata: { name: 'shop-migrate-post6', annotations: { 'fastapiapp.io/migration-phase': 'post', 'fastapiapp.io/release-inputs': 'in-v6' } },
      spec: {}, status: running,
    };
    const h = [rev('v6', { pendingPost: ['006_drop_c1'], firstServed: T0 }), rev('v5', { firstServed: T0, lastServed: T0 })];
    const a = app({ tag: 'v5' }, { image: 'reg/items:v6', migratedInputs: 'in-v6', history: h });
    const o = seen({ inputs: inputs('v5'), jobs: [postJob] });
    const p = plan(a, withDefaults(a.spec), o);
    expect(p.migration.phase).toBe('stopping');
    expect(p.foreground).toEqual(['shop-migrate-post6']);
    const s = statusOf(a, o);
    expect(s.history![0]).toMatchObject({ inputs: 'in-v6', postInterrupted: true });
    expect(s.history![0]!.postMigrated).toBeUndefined();
    // the Job is gone: v5 is in history, but what v6's post-deploy Job committed is unknown
    const after = app({ tag: 'v5' }, s);
    expect(plan(after, withDefaults(after.spec), seen({ inputs: inputs('v5') })).migration.phase).toBe('needsJob');
  });

  test('markServed: the rolled-out revision serves from now, the one before served until now', () => {
    const h = putFirst([rev('v1', { firstServed: T0 })], rev('v2'));
    expect(markServed(h, 'in-v2', T1)).toEqual([rev('v2', { firstServed: T1 }), rev('v1', { firstServed: T0, lastServed: T1 })]);
  });
});

describe('Ready means rolled out (item 8)', () => {
  test('when the controller reports NewReplicaSetAvailable for the new generation but not every replica is updated, then RollingOut; once all are, Ready', () => {
    // a tag set back reuses an old ReplicaSet: the Progressing condition of the last rollout stays
    const a = app({}, { image: 'reg/items:v1', migratedInputs: 'in-v2', templateHash: 'tpl-old' });
    const half = deployment('reg/items:v2', { replicas: 3, updatedReplicas: 1, availableReplicas: 3, conditions: complete });
    expect(cond(statusOf(a, seen({ deployment: half })), 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
    const oldLeft = deployment('reg/items:v2', { replicas: 3, updatedReplicas: 2, availableReplicas: 2, conditions: complete });
    expect(cond(statusOf(a, seen({ deployment: oldLeft })), 'Ready')?.status).toBe('False');
    const done = deployment('reg/items:v2', { replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: complete });
    const s = statusOf(a, seen({ deployment: done }));
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', observedGeneration: 3 });
    expect(s.templateHash).toBe('tpl-new');
  });
});

describe('post-deploy migration (item 2)', () => {
  const base = { image: 'reg/items:v2', migratedInputs: 'in-v2', templateHash: 'tpl-new' };
  const done = deployment('reg/items:v2', { replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: complete });
  const post = (a: FastApiApp, o: Observed, rolled: boolean, now = new Date(T1)) => postState(a, withDefaults(a.spec), plan(a, withDefaults(a.spec), o), o, rolled, now);

  test('when contract migrations are pending, then the Job waits for the full rollout and the bake time, then runs', () => {
    const a = app({ migration: { postDeployDelaySeconds: 600 } }, { ...base, history: [rev('v2', { pendingPost: ['006_drop'], firstServed: T0 })] });
    expect(post(a, seen({ deployment: done }), false)).toMatchObject({ phase: 'pending', message: expect.stringContaining('fully rolled out') });
    expect(post(a, seen({ deployment: done }), true)).toMatchObject({ phase: 'pending', afterMs: 300_000 });
    expect(post(a, seen({ deployment: done }), true, new Date('2026-01-01T00:10:00.000Z'))).toEqual({ phase: 'needsJob' });
  });

  test('when the pre-deploy run reported none pending, then no post-deploy Job: PostMigrated=True NoPostDeployMigrations', () => {
    const a = app({}, { ...base, history: [rev('v2', { pendingPost: [] })] });
    expect(post(a, seen({ deployment: done }), true)).toMatchObject({ phase: 'notNeeded', reason: 'NoPostDeployMigrations' });
    // and on every later pass, once recorded as post-migrated (no second status write, no Event)
    const recorded = app({}, { ...base, history: [rev('v2', { pendingPost: [], postMigrated: true })] });
    expect(post(recorded, seen({ deployment: done }), true)).toMatchObject({ phase: 'notNeeded', reason: 'NoPostDeployMigrations' });
  });

  test('when the post-deploy Job fails, then Degraded=True PostDeployMigrationFailed while Ready and Available stay True', () => {
    const a = app({}, { ...base, history: [rev('v2', { pendingPost: ['006_drop'], firstServed: T0 })] });
    const pj = job('shop-migrate-post', { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'too many' }] });
    const o = seen({ deployment: done, targetPostJob: pj, jobs: [pj] });
    const spec = withDefaults(a.spec);
    const p = plan(a, spec, o);
    const s = computeStatus(a, spec, { plan: p, observed: o, post: postState(a, spec, p, o, true, new Date(T1)) }, T1);
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'PostDeployMigrationFailed' });
    expect(cond(s, 'PostMigrated')).toMatchObject({ status: 'False', reason: 'PostDeployMigrationFailed' });
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(cond(s, 'Available')?.status).toBe('True');
  });

  test('when the post-deploy Job succeeds, then the contract migrations it applied are recorded on the revision', () => {
    const a = app({}, { ...base, history: [rev('v2', { pendingPost: ['006_drop'], firstServed: T0 })] });
    const pj = job('shop-migrate-post', { succeeded: 1 });
    const o = seen({ deployment: done, targetPostJob: pj, jobs: [pj], pods: [pod(pj, 'Succeeded', terminated(0, { command: 'post', result: 'applied', applied: ['006_drop'] }))] });
    const spec = withDefaults(a.spec);
    const p = plan(a, spec, o);
    const s = computeStatus(a, spec, { plan: p, observed: o, post: postState(a, spec, p, o, true, new Date(T1)) }, T1);
    expect(s.history![0]).toMatchObject({ postMigrated: true, contract: ['006_drop'] });
    expect(cond(s, 'PostMigrated')).toMatchObject({ status: 'True', reason: 'PostDeployMigrationSucceeded' });
  });
});
