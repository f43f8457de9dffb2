// API requests per app, counted by the operator's own request counter (kube/request-counter.ts)
// against the real API server: a new migrating app costs one apply per child and no GET (names are
// checked in the unfiltered metadata-only cache), status is written once per phase, one Event per
// release outcome, a release applies only the Job and, once migrated, the Deployment (the Service,
// ServiceMonitor, PodDisruptionBudget and NetworkPolicy carry no version label; the template held
// while the Job runs is not re-applied), and passes with nothing to do make no request at all.
import { operatorSuite, reconcileCount, ref } from './support/suite';
import { condition, eventually, type App } from './support/world';

// A resync every 300 ms: the "no request" checks below wait for passes that really ran.
const t = operatorSuite('operator-requests', { resyncPeriodMs: 300 });

/**
 * Requests since `before`, "verb resource" -> count. Informer traffic is left out, as it is not per
 * app: watches (one is counted when its response starts, which may be after sync) and the list of
 * Secrets that starts a namespace's Secret watch when its first app appears (runtime/secret-watches).
 */
function since(before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t.op.client.requests.counts())) {
    const n = v - (before[k] ?? 0);
    if (n > 0 && !k.startsWith('watch ') && k !== 'list secrets') out[k] = n;
  }
  return out;
}

const byVerb = (counts: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) out[k.split(' ')[0]!] = (out[k.split(' ')[0]!] ?? 0) + v;
  return out;
};

/** Resolves once `n` more reconcile passes have finished (each pass visits every app: resync). */
async function passes(n: number): Promise<void> {
  const start = await reconcileCount(t.op);
  await eventually(async () => (await reconcileCount(t.op)) >= start + n, `${n} more reconciles`);
}

const ready = (name: string, tag: string) => eventually(async () => {
  const a = await t.appNow(name);
  return condition(a, 'Ready')?.status === 'True' && a.status?.observedGeneration === a.metadata.generation && a.status?.image?.includes(tag) && a;
}, `${name} Ready on ${tag}`);

test('when a migrating app is created, migrated and rolled out, then each child is applied once, nothing is read, and idle passes make no request', async () => {
  const before = t.op.client.requests.counts();
  const app: App = await t.world.createApp('counted', { replicas: 2 });
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'migration Job');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => t.world.deployment('counted'), 'Deployment');
  await t.world.rollOut('counted');
  await ready('counted', 'v1');
  await passes(3);
  const created = since(before);
  expect(created).toEqual({
    'apply services': 1, 'apply servicemonitors': 1, 'apply poddisruptionbudgets': 1, 'apply networkpolicies': 1, 'apply jobs': 1, 'apply deployments': 1,
    // MigrationRunning; migrated and rolling out (PostMigrated settled at once: NoPostDeployMigrations); Ready
    'apply fastapiapps/status': 3,
    // one Event per release outcome: RolloutComplete (it says the database was migrated)
    'create events': 1,
  });
  expect(byVerb(created).get).toBeUndefined();
  const events = await t.world.events('counted');
  expect(events.map((e) => e.reason)).toEqual(['RolloutComplete']);
  expect(events[0]!.message).toContain('the database is migrated for');

  // steady state: passes run (resyncs), nothing is requested
  const idle = t.op.client.requests.counts();
  await passes(5);
  expect(since(idle)).toEqual({});

  // a release: a new Job, then only the Deployment is applied again (no relabelling of the rest),
  // once: while the Job runs the held template (the live one) is not re-applied
  const beforeRelease = t.op.client.requests.counts();
  await t.world.patchSpec('counted', { tag: 'v2' });
  const job2 = await eventually(() => t.world.jobFor(app, ref('v2')), 'migration Job for v2');
  await eventually(async () => condition(await t.appNow('counted'), 'Migrated')?.reason === 'MigrationRunning', 'v2 MigrationRunning recorded');
  await passes(2);
  expect(since(beforeRelease)).toEqual({ 'apply jobs': 1, 'apply fastapiapps/status': 1 });
  await t.world.finishJob(job2.metadata.name, 'succeeded');
  await eventually(async () => (await t.world.deployment('counted'))?.spec.template.spec.containers[0].image === ref('v2'), 'Deployment on v2');
  await t.world.rollOut('counted');
  await ready('counted', 'v2');
  await passes(3);
  expect(since(beforeRelease)).toEqual({ 'apply jobs': 1, 'apply deployments': 1, 'apply fastapiapps/status': 3, 'create events': 1 });
});

test('when a one-replica migrating app (as bench:operator creates them) is created and migrated, then it costs at most 7 requests until its Deployment exists: one apply per child and two status writes', async () => {
  const before = t.op.client.requests.counts();
  const app: App = await t.world.createApp('single', { replicas: 1 });
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'migration Job');
  await eventually(async () => condition(await t.appNow('single'), 'Migrated')?.reason === 'MigrationRunning', 'MigrationRunning recorded');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => t.world.deployment('single'), 'Deployment');
  await eventually(async () => condition(await t.appNow('single'), 'Migrated')?.status === 'True', 'Migrated recorded');
  await passes(3);
  const created = since(before);
  expect(created).toEqual({
    'apply services': 1, 'apply servicemonitors': 1, 'apply networkpolicies': 1, 'apply jobs': 1, 'apply deployments': 1, 'apply fastapiapps/status': 2,
  });
  expect(Object.values(created).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(7);
});
