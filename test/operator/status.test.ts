// Pure parts of a reconcile pass: migrate-then-rollout planning, conditions and status.
import type { FastApiApp } from '../../operator/src/api/types';
import { TEMPLATE_HASH_ANNOTATION, withDefaults } from '../../operator/src/desired';
import { mergeConditions, transitions } from '../../operator/src/reconcile/conditions';
import { jobState, rolloutState, serving, type Observed } from '../../operator/src/reconcile/observed';
import { plan } from '../../operator/src/reconcile/plan';
import { computeStatus, pausedStatus, sameStatus } from '../../operator/src/reconcile/status';
import type { Loose } from './support/world';
import { app, T0, T1 } from './support/pure';

const job = (status: unknown): Loose => ({ metadata: { name: 'j' }, spec: {}, status });
type Cond = { type: string; status: string; reason?: string; message?: string };
/** A Deployment as the Deployment controller leaves it; `s` is its status (counts and conditions). */
const deployment = (image: string, s: Record<string, unknown> = {}, generation = 1, templateHash = 'tpl-1'): Loose => ({
  metadata: { name: 'shop', generation, annotations: { [TEMPLATE_HASH_ANNOTATION]: templateHash } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image }] } } },
  status: { observedGeneration: generation, ...s },
});
const seen = (o: Partial<Observed> = {}): Observed => ({ monitoringServed: true, jobs: o.targetJob ? [o.targetJob] : [], ...o });
const available: Cond = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' };
const unavailable: Cond = { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
const complete: Cond = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "shop-1" has successfully progressed.' };
const updating: Cond = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "shop-2" is progressing.' };
const deadline: Cond = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "shop-2" has timed out progressing.' };
const rolled = { replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2, conditions: [available, complete] };

describe('jobState', () => {
  test('when the Job reports Complete or enough successes, then it succeeded', () => {
    expect(jobState(job({ conditions: [{ type: 'Complete', status: 'True' }] })).phase).toBe('succeeded');
    expect(jobState(job({ succeeded: 1 })).phase).toBe('succeeded');
  });
  test('when the Job reports Failed, then it failed with the reason', () => {
    expect(jobState(job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'too many' }] })))
      .toEqual({ phase: 'failed', reason: 'BackoffLimitExceeded', message: 'too many' });
  });
  test('when the Job has no outcome yet, then it is running', () => {
    expect(jobState(job({ active: 1 })).phase).toBe('running');
  });
});

describe('plan (migrate, then roll out)', () => {
  test('when a new app has no Job yet, then a Job is needed and no Deployment is made', () => {
    const a = app();
    const p = plan(a, withDefaults(a.spec), seen());
    expect(p.migration.phase).toBe('needsJob');
    expect(p.runImage).toBeUndefined();
  });
  test('when migrations are disabled, then the Deployment runs the target at once', () => {
    const a = app({ migration: { enabled: false } });
    expect(plan(a, withDefaults(a.spec), seen()).runImage).toBe('reg/items:v2');
  });
  test('when the tag changed and the new Job runs, then the Deployment stays on the image it runs', () => {
    const a = app({}, { image: 'reg/items:v1', migratedImage: 'reg/items:v1' });
    const p = plan(a, withDefaults(a.spec), seen({ targetJob: job({ active: 1 }), deployment: deployment('reg/items:v1') }));
    expect(p.migration.phase).toBe('running');
    expect(p.runImage).toBe('reg/items:v1');
  });
  test('when someone edited the Deployment image during a migration, then the last rolled-out image is put back', () => {
    const a = app({}, { image: 'reg/items:v1' });
    expect(plan(a, withDefaults(a.spec), seen({ targetJob: job({}), deployment: deployment('evil:x') })).runImage).toBe('reg/items:v1');
  });
  test('when the new Job succeeded, then the Deployment switches to the target', () => {
    const a = app({}, { image: 'reg/items:v1' });
    expect(plan(a, withDefaults(a.spec), seen({ targetJob: job({ succeeded: 1 }) })).runImage).toBe('reg/items:v2');
  });
  const namedJob = (name: string, created: string, status: unknown = { active: 1 }): Loose =>
    ({ metadata: { name, creationTimestamp: created }, spec: {}, status });
  const done = { conditions: [{ type: 'Complete', status: 'True' }] };

  test('when another migration Job still runs, then it is deleted and nothing counts as migrated until it is gone (A→B→A)', () => {
    // A (v2) migrated earlier, B (v3) started, the spec went back to A while B runs
    const a = app({}, { image: 'reg/items:v2', migratedImage: 'reg/items:v2' });
    const b = namedJob('shop-migrate-b', '2026-01-01T00:01:00Z');
    const p = plan(a, withDefaults(a.spec), seen({ jobs: [b], deployment: deployment('reg/items:v2') }));
    expect(p.migration).toEqual({ phase: 'stopping', jobs: ['shop-migrate-b'] });
    expect(p.deleteJobs).toEqual(['shop-migrate-b']);
    expect(p.runImage).toBe('reg/items:v2');
    // while its deletion is under way it is not deleted again, and still blocks
    const going = { ...b, metadata: { ...b.metadata, deletionTimestamp: '2026-01-01T00:02:00Z' } };
    const q = plan(a, withDefaults(a.spec), seen({ jobs: [going] }));
    expect(q.migration.phase).toBe('stopping');
    expect(q.deleteJobs).toEqual([]);
    // gone: A is migrated again
    expect(plan(a, withDefaults(a.spec), seen({ jobs: [] })).migration.phase).toBe('succeeded');
  });

  test('when a new tag arrives while a Job runs, then the running Job is deleted before the new Job is created (A→B→C)', () => {
    const a = app({}, { image: 'reg/items:v1', migratedImage: 'reg/items:v1' });
    const p = plan(a, withDefaults(a.spec), seen({ jobs: [namedJob('shop-migrate-b', '2026-01-01T00:01:00Z')] }));
    expect(p.migration.phase).toBe('stopping');
    expect(p.deleteJobs).toEqual(['shop-migrate-b']);
    expect(plan(a, withDefaults(a.spec), seen({ jobs: [] })).migration.phase).toBe('needsJob');
  });

  test('when more finished Jobs exist than the history limit, then the oldest go and the current one stays', () => {
    const a = app({ migration: { jobsHistoryLimit: 2 } }, { image: 'reg/items:v1', migratedImage: 'reg/items:v1' });
    const finished = [1, 2, 3, 4].map((i) => namedJob(`old-${i}`, `2026-01-01T00:0${i}:00Z`, done));
    const target = namedJob('current', '2026-01-01T00:00:00Z', { active: 1 }); // the oldest, but current
    const p = plan(a, withDefaults(a.spec), seen({ targetJob: target, jobs: [...finished, target] }));
    expect(p.deleteJobs.sort()).toEqual(['old-1', 'old-2', 'old-3']);
    expect(plan(a, withDefaults(a.spec), seen({ jobs: finished })).deleteJobs.sort()).toEqual(['old-1', 'old-2']);
  });

  test('when the migration succeeded and its pod ran a registry digest, then the Deployment runs image:tag@digest', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const a = app({}, { image: 'reg/items:v1', migratedImage: 'reg/items:v1' });
    const target: Loose = { ...job({ succeeded: 1 }), metadata: { name: 'j', uid: 'job-uid' } };
    // the migration pod as the cache keeps it: owned by the Job, with the kubelet's imageID
    const pod: Loose = {
      metadata: { name: 'j-x1', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'job-uid', controller: true }] },
      status: { phase: 'Succeeded', containerStatuses: [{ name: 'migrate', imageID: `reg/items@${digest}` }] },
    };
    const observed = seen({ targetJob: target, pods: [pod], inputs: { pre: 'in-v2', post: 'post-v2' } });
    const p = plan(a, withDefaults(a.spec), observed);
    expect(p.runImage).toBe(`reg/items:v2@${digest}`);
    const s = computeStatus(a, withDefaults(a.spec), { plan: p, observed }, T0);
    expect(s.history).toEqual([{ image: 'reg/items:v2', inputs: 'in-v2', digest, migratedAt: T0 }]);
    expect(s).toMatchObject({ migratedImage: 'reg/items:v2', imageDigest: digest });
    // later passes read the recorded digest
    const later = app({}, s);
    expect(plan(later, withDefaults(later.spec), seen({ inputs: { pre: 'in-v2', post: 'post-v2' } })).runImage).toBe(`reg/items:v2@${digest}`);
    // without migrations there is no digest: the tag
    const off = app({ migration: { enabled: false } }, s);
    expect(plan(off, withDefaults(off.spec), seen()).runImage).toBe('reg/items:v2');
  });

  test('when the ServiceMonitor CRD is not served, then monitoring is unavailable; when disabled, disabled', () => {
    const a = app();
    expect(plan(a, withDefaults(a.spec), seen({ monitoringServed: false })).monitoring).toBe('unavailable');
    const b = app({ monitoring: { enabled: false } });
    expect(plan(b, withDefaults(b.spec), seen()).monitoring).toBe('disabled');
  });
});

describe('computeStatus', () => {
  const statusOf = (a: FastApiApp, o: Observed, error?: Error, now = T0) =>
    computeStatus(a, withDefaults(a.spec), { plan: plan(a, withDefaults(a.spec), o), observed: o, error }, now);
  const condition = (s: ReturnType<typeof statusOf>, type: string) => s.conditions!.find((c) => c.type === type)!;

  test('when the Deployment runs the target with all replicas updated and available, then Ready=True', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const s = statusOf(a, seen({ deployment: deployment('reg/items:v2', rolled) }));
    expect(condition(s, 'Ready')).toMatchObject({ status: 'True', reason: 'Available', observedGeneration: 3 });
    expect(s).toMatchObject({ image: 'reg/items:v2', migratedImage: 'reg/items:v2', replicas: 2, readyReplicas: 2, observedGeneration: 3 });
    expect(s.selector).toContain('app.kubernetes.io/instance=shop');
  });

  test('when the Deployment has not seen its latest generation and its template changed, then it is not Ready', () => {
    const d = deployment('reg/items:v2', rolled, 2, 'tpl-new');
    d.status.observedGeneration = 1;
    expect(rolloutState(d).phase).toBe('stale');
    const a = app({}, { migratedImage: 'reg/items:v2', templateHash: 'tpl-old' });
    expect(condition(statusOf(a, seen({ deployment: d })), 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
  });

  test('when a new template is on every replica but pods of the previous one are still exiting, then Ready waits for them; a scale-down of the same template does not', () => {
    const a = app({}, { migratedImage: 'reg/items:v2', templateHash: 'tpl-old' });
    const d = deployment('reg/items:v2', rolled, 2, 'tpl-new');
    const draining = statusOf(a, seen({ deployment: d, leavingPods: ['shop-old-1'], drainingPods: ['shop-old-1'] }));
    expect(condition(draining, 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
    expect(condition(draining, 'Ready').message).toContain('shop-old-1');
    expect(draining.templateHash).toBe('tpl-old');
    // gone, or past its grace period (a lost node): out
    for (const o of [seen({ deployment: d }), seen({ deployment: d, leavingPods: ['shop-old-1'], drainingPods: [] })]) {
      const s = statusOf(a, o);
      expect(condition(s, 'Ready')).toMatchObject({ status: 'True' });
      expect(s.templateHash).toBe('tpl-new');
    }
    const rolledOutApp = app({}, { migratedImage: 'reg/items:v2', templateHash: 'tpl-new' });
    expect(condition(statusOf(rolledOutApp, seen({ deployment: d, leavingPods: ['shop-new-3'], drainingPods: ['shop-new-3'] })), 'Ready')).toMatchObject({ status: 'True' });
  });

  test('when only the replica count changed (an HPA), then Ready stays True through the stale status and the replica counts', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const first = statusOf(a, seen({ deployment: deployment('reg/items:v2', rolled, 1) }));
    expect(first.templateHash).toBe('tpl-1');
    // the operator applied replicas: 5; the controller has not caught up, then scales up slowly
    const scaled = deployment('reg/items:v2', rolled, 2);
    scaled.spec.replicas = 5;
    scaled.status.observedGeneration = 1;
    const during = statusOf({ ...a, status: first }, seen({ deployment: scaled }), undefined, T1);
    expect(condition(during, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: T0 });
    const caughtUp = deployment('reg/items:v2', { ...rolled, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 2);
    caughtUp.spec.replicas = 5;
    const after = statusOf({ ...a, status: during }, seen({ deployment: caughtUp }), undefined, T1);
    expect(condition(after, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: T0 });
    expect(transitions(first.conditions, after.conditions!)).toEqual([]);
  });

  test('when the new ReplicaSet is still progressing, then Ready=False RollingOut while Available=True (old pods serve)', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const s = statusOf(a, seen({ deployment: deployment('reg/items:v2', { ...rolled, conditions: [available, updating] }) }));
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'RollingOut' });
    expect(condition(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingOut' });
    expect(condition(s, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
  });

  test('when the Deployment exceeded its progress deadline, then Degraded=True RolloutStuck, Ready=False, Progressing=False', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const s = statusOf(a, seen({ deployment: deployment('reg/items:v2', { replicas: 3, updatedReplicas: 1, conditions: [available, deadline] }) }));
    expect(condition(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'RolloutStuck', message: expect.stringContaining('timed out progressing') });
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'RolloutStuck' });
    expect(condition(s, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutStuck' });
    expect(condition(s, 'Available').status).toBe('True');
  });

  test('when the Deployment is paused, then Ready=Unknown Paused even if its old status looked complete', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const d = deployment('reg/items:v2', rolled);
    d.spec.paused = true;
    expect(rolloutState(d).phase).toBe('paused');
    expect(condition(statusOf(a, seen({ deployment: d })), 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Paused' });
  });

  test('when a rolled-out app loses its pods, then Ready stays True (the spec is rolled out) and Available=False says it does not serve', () => {
    const a = app({}, { migratedImage: 'reg/items:v2', templateHash: 'tpl-1' });
    const down = statusOf(a, seen({ deployment: deployment('reg/items:v2', { replicas: 2, conditions: [unavailable, complete] }) }));
    expect(condition(down, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(condition(down, 'Ready').status).toBe('True');
    expect(serving(undefined)).toMatchObject({ status: 'False', reason: 'NoDeployment' });
    expect(serving(deployment('x:1')).status).toBe('Unknown');
  });

  test('when the migration failed, then Migrated=False, Degraded=True MigrationFailed, and never Ready', () => {
    const a = app({}, { image: 'reg/items:v1', migratedImage: 'reg/items:v1' });
    const failed = job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'exit 1' }] });
    const s = statusOf(a, seen({ targetJob: failed, deployment: deployment('reg/items:v1', rolled) }));
    expect(condition(s, 'Migrated')).toMatchObject({ status: 'False', reason: 'MigrationFailed' });
    expect(condition(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'MigrationFailed' });
    expect(condition(s, 'Ready').status).toBe('False');
    // the old pods still serve: an outage alert on Available stays quiet
    expect(condition(s, 'Available').status).toBe('True');
    expect(s.image).toBe('reg/items:v1');
    expect(s.migratedImage).toBe('reg/items:v1');
  });

  test('when applying failed, then Ready=False and Degraded=True ReconcileError even if the rollout looked done', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const s = statusOf(a, seen({ deployment: deployment('reg/items:v2', rolled) }), new Error('boom'));
    expect(condition(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ReconcileError', message: 'boom' });
    expect(condition(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'ReconcileError' });
  });

  test('when nothing changed, then a second pass computes the same status with the same transition times', () => {
    const a = app({}, { migratedImage: 'reg/items:v2' });
    const o = seen({ deployment: deployment('reg/items:v2', rolled) });
    const first = statusOf(a, o, undefined, T0);
    const second = statusOf({ ...a, status: first }, o, undefined, T1);
    expect(sameStatus(first, second)).toBe(true);
  });

  test('when the CRD is missing, then MonitoringAvailable=False says so', () => {
    const a = app({ migration: { enabled: false } });
    expect(condition(statusOf(a, seen({ monitoringServed: false })), 'MonitoringAvailable'))
      .toMatchObject({ status: 'False', reason: 'CRDNotInstalled' });
  });

  test('when paused, then Ready=Unknown Paused and Paused=True, and other conditions are kept', () => {
    const a = app({ paused: true }, { migratedImage: 'x', conditions: [
      { type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: T0 },
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: '', lastTransitionTime: T0 }] });
    const s = pausedStatus(a, T1);
    expect(s.conditions!.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'Unknown', 'Paused'], ['Paused', 'True', 'Paused'], ['Available', 'True', 'MinimumReplicasAvailable']]);
    expect(s.migratedImage).toBe('x');
    expect(sameStatus(pausedStatus({ ...a, status: s }, '2027-01-01T00:00:00.000Z'), s)).toBe(true);
  });
});

describe('mergeConditions / transitions', () => {
  test('when a status stays the same, then lastTransitionTime is kept; when it flips, then it is now', () => {
    const old = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'RollingOut', message: '' }], 1, T0);
    const same = mergeConditions(old, [{ type: 'Ready', status: 'False', reason: 'MigrationRunning', message: 'm' }], 2, T1);
    expect(same[0]).toMatchObject({ lastTransitionTime: T0, reason: 'MigrationRunning', observedGeneration: 2 });
    const flipped = mergeConditions(same, [{ type: 'Ready', status: 'True', reason: 'Available', message: '' }], 2, T1);
    expect(flipped[0]!.lastTransitionTime).toBe(T1);
    expect(transitions(same, flipped).map((c) => c.type)).toEqual(['Ready']);
    expect(transitions(flipped, flipped)).toEqual([]);
  });
});
