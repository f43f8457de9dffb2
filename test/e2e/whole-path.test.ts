// The whole path on a real one-node cluster: the project's own images pushed to the cluster's
// registry (the kubelet pulls them; the operator pins the digest each migration ran), the operator
// installed from cdk8s/dist/operator.yaml as a user would, Postgres reachable from pods, and
// FastApiApp releases rolled under steady client traffic through the Service's ClusterIP.
// Scenarios run in order on one app; each one's traffic must see zero failed requests.
import fs from 'node:fs';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Client } from 'pg';
import { hostSnapshot, startTestCluster, type PushedImage, type TestCluster } from '../harness/cluster';
import type { PostgresCluster } from '../harness/postgres/cluster';
import { waitFor } from '../harness/wait';
import { requireRoot } from '../images/support/buildah';
import { buildE2eImages, buildRebuiltImage, VARIANTS } from './support/images';
import { installOperator, markedSecretLabels, OPERATOR_NS, secretReaderBinding, startBridgePostgres } from './support/install';
import { condition, Kube, runScenario, type Obj } from './support/kube';
import { forgetNodeImages, nodeImagesOf, registryDigest } from './support/registry';
import { GROUP, waitDrained, waitRolledOut as rolledOut } from './support/rollout';
import { appMetrics, poolConnections, readinessProbeCounts, sliceEndpoints, type ProbeCounts } from './support/probes';
import { call, recordRequests, startTraffic, type Outcome, type TrafficReport } from './support/traffic';
import { WatchRecorder } from './support/watch';

jest.setTimeout(40 * 60_000);

const NS = `e2e-${process.pid}`;
const APP = 'items';

let cluster: TestCluster | undefined;
let hostBefore: Record<string, unknown>;
let kube: Kube;
let pg: PostgresCluster;
let images: Awaited<ReturnType<typeof buildE2eImages>>;
/** Each variant as pushed to the cluster's registry: reference and the digest buildah reported. */
let pushed: Record<string, PushedImage>;
/** spec.image: the app's repository in the cluster's registry. */
let repo: string;
let target: { host: string; port: number };
const timings: Record<string, number> = {};
const rollouts: Record<string, TrafficReport> = {};

const scenario = <T>(name: string, body: () => Promise<T>): Promise<T> => runScenario(kube, { namespace: NS, app: APP, operatorNamespace: OPERATOR_NS }, name, body);

const getApp = () => kube.get(GROUP, 'FastApiApp', NS, APP);
const getDeployment = () => kube.get('apps/v1', 'Deployment', NS, APP);
const migrationJobs = () => kube.list('batch/v1', 'Job', NS, `app.kubernetes.io/instance=${APP},app.kubernetes.io/component=migration`);
const servingPods = () => kube.pods(NS, `app.kubernetes.io/instance=${APP},app.kubernetes.io/component=server`);
const imageOf = (tag: string) => `${repo}:${tag}`;

/** Rolled out to a variant: every pod runs `repo:tag@digest` with the digest buildah pushed for it. */
const waitRolledOut = (key: string, timeoutMs?: number): Promise<Obj> =>
  rolledOut(kube, { namespace: NS, name: APP, repo }, VARIANTS[key]!.tag, timeoutMs, pushed[key]!.digest);

/** `kubectl patch --type merge -p '{"spec":{"tag":...}}'`, as the deploy workflow does. */
async function setTag(tag: string, more: Record<string, unknown> = {}): Promise<void> {
  await kube.objects.patch({ apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP, namespace: NS }, spec: { tag, ...more } } as Obj,
    undefined, undefined, 'e2e-deploy', undefined, PatchStrategy.MergePatch);
}

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: pg.urlVia('127.0.0.1', 'items') });
  await db.connect();
  try {
    return (await db.query(sql, params)).rows as T[];
  } finally {
    await db.end();
  }
}

const columns = async () => (await query<{ column_name: string }>("select column_name from information_schema.columns where table_name = 'items'"))
  .map((r) => r.column_name);

function expectNoFailures(name: string, report: TrafficReport): void {
  rollouts[name] = report;
  expect(report.sent / report.seconds).toBeGreaterThanOrEqual(50);
  expect(report.failed).toEqual([]);
}

/**
 * Keeps the traffic on until no server pod is exiting and a short tail after (waitDrained), stops it: no request failed, every acknowledged write is stored.
 */
async function finishRollout(name: string, traffic: ReturnType<typeof startTraffic>): Promise<void> {
  await waitDrained(kube, { namespace: NS, name: APP });
  const report = await traffic.stop();
  expectNoFailures(name, report);
  const stored = await query<{ id: number }>('select id from items where id = any($1::int[])', [report.written]);
  expect(stored.length).toBe(report.written.length);
}

beforeAll(async () => {
  requireRoot();
  const t0 = Date.now();
  images = await buildE2eImages();
  timings.buildImagesSeconds = (Date.now() - t0) / 1000;
  cluster = await startTestCluster();
  hostBefore = cluster.info.hostBefore; // taken under the cluster lock, after any other suite's cluster ended
  timings.clusterStartSeconds = cluster.info.phases.ready! / 1000;
  kube = new Kube(cluster.kubeConfig());
  const info = cluster.info;
  const t1 = Date.now();
  // Into the registry, not the node: every pod below pulls its image (none is preloaded).
  const refs = await cluster.pushImages([images.operator, ...Object.values(images.app)]);
  timings.pushImagesSeconds = (Date.now() - t1) / 1000;
  pushed = Object.fromEntries(Object.entries(images.app).map(([key, ref]) => [key, refs[ref]!]));
  repo = pushed.v1!.ref.slice(0, pushed.v1!.ref.lastIndexOf(':'));
  const operatorRef = refs[images.operator]!;

  pg = await startBridgePostgres(info, ['items']);
  await installOperator(kube, info, `${operatorRef.ref}@${operatorRef.digest}`);

  await kube.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'items-database', namespace: NS, labels: markedSecretLabels }, stringData: { url: pg.urlVia(info.bridgeIp, 'items') } } as Obj,
    secretReaderBinding(NS),
  ]);
}, 40 * 60_000);

afterAll(async () => {
  process.stderr.write(`\ne2e timings: ${JSON.stringify(timings)}\ne2e traffic: ${JSON.stringify(Object.fromEntries(Object.entries(rollouts).map(([k, r]) => [k, { sent: r.sent, failed: r.failed.length, seconds: r.seconds }])))}\n`);
  await cluster?.stop().catch(() => undefined);
  await pg?.destroy();
  const report = process.env.E2E_REPORT_FILE;
  if (report) fs.writeFileSync(report, JSON.stringify({ timings, rollouts: Object.fromEntries(Object.entries(rollouts).map(([k, r]) => [k, { sent: r.sent, failed: r.failed.length, seconds: r.seconds }])) }, null, 2));
});

test('1. first deploy: a real migration pod runs `migrate latest`, pods pass their probes, Ready=True, items served through the ClusterIP', () => scenario('first deploy', async () => {
  const t0 = Date.now();
  await kube.apply({
    apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP, namespace: NS },
    spec: {
      image: repo, tag: VARIANTS.v1!.tag, replicas: 2, databaseSecretRef: { name: 'items-database', key: 'url' },
      // The test's clients all come from the host's one address, at ~23 writes/s: the per-client
      // write limit (300/min) would answer them 429. Rollouts are what this suite measures.
      env: [{ name: 'RATE_LIMIT_WRITES', value: '0' }],
    },
  } as Obj);
  await waitRolledOut('v1');
  timings.firstDeployReadySeconds = (Date.now() - t0) / 1000;
  timings.clusterMemoryMb = await cluster!.memoryMb();

  const jobs = await migrationJobs();
  expect(jobs).toHaveLength(1);
  expect(jobs[0]!.status?.succeeded).toBe(1);
  const migrationPods = await kube.pods(NS, 'app.kubernetes.io/component=migration');
  expect(migrationPods.some((p) => p.status?.phase === 'Succeeded')).toBe(true);
  expect(await columns()).toEqual(expect.arrayContaining(['id', 'name', 'description', 'price', 'sentiment']));
  const ready = (await servingPods()).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  expect(ready).toHaveLength(2);

  const svc = await kube.get('v1', 'Service', NS, APP);
  target = { host: svc!.spec.clusterIP, port: svc!.spec.ports[0].port };
  const created = await call(target, 'POST', '/items', { name: 'First', description: 'I love this product', price: 5 });
  expect(created.status).toBe(201);
  expect((await call(target, 'GET', `/items/${created.json.id}`)).json).toMatchObject({ name: 'First', sentiment: 'positive' });
  const list = await call(target, 'GET', '/items');
  expect(list.status).toBe(200);
  expect(list.json.map((i: { id: number }) => i.id)).toContain(created.json.id);
}));

test('2. tag change under load: the migration Job runs first, then the Deployment rolls; zero failed requests, every write kept, the new column present', () => scenario('tag change', async () => {
  const traffic = startTraffic(target, { label: 'v2' });
  const t0 = Date.now();
  await setTag(VARIANTS.v2!.tag);
  await waitRolledOut('v2');
  timings.tagChangeReadySeconds = (Date.now() - t0) / 1000;
  await finishRollout('v1->v2', traffic);
  expect(await columns()).toContain('note');

  const job = (await migrationJobs()).find((j) => j.metadata?.annotations?.['fastapiapp.io/image']?.startsWith(imageOf(VARIANTS.v2!.tag)));
  expect(job?.status?.succeeded).toBe(1);
  const pods = await servingPods();
  const completed = Date.parse(job!.status.completionTime);
  for (const p of pods) expect(Date.parse(p.metadata!.creationTimestamp as unknown as string)).toBeGreaterThanOrEqual(completed - 1000);
}));

test('3. failed migration: Degraded=True (MigrationFailed) with an Event, pods stay on the old release, zero failed requests; the fix rolls out', () => scenario('failed migration', async () => {
  const traffic = startTraffic(target, { label: 'v3' });
  await setTag(VARIANTS.v3!.tag);
  const app = await waitFor('Degraded=True MigrationFailed', async () => {
    const a = await getApp();
    const d = condition(a, 'Degraded');
    return d?.status === 'True' && d.reason === 'MigrationFailed' && d.observedGeneration === a?.metadata?.generation ? a : undefined;
  }, 240_000);
  expect(condition(app, 'Ready')?.status).not.toBe('True');
  const events = await kube.events(NS);
  expect(events.some((e) => e.type === 'Warning' && e.reason === 'MigrationFailed' && e.involvedObject.name === APP)).toBe(true);
  for (const p of await servingPods()) expect(p.spec?.containers[0]?.image).not.toContain(VARIANTS.v3!.tag);
  expect(await columns()).not.toContain('rating');

  await setTag(VARIANTS.v4!.tag);
  await waitRolledOut('v4');
  await finishRollout('v2->v3(failed)->v4', traffic);
  expect(await columns()).toContain('rating');
}));

test('4. broken image: its pods never become ready, the old pods keep serving, the stuck rollout is reported', () => scenario('broken image', async () => {
  const traffic = startTraffic(target, { label: 'v5' });
  await setTag(VARIANTS.v5!.tag, { progressDeadlineSeconds: 20 }); // a short deadline, so the test need not wait 10 min

  const app = await waitFor('Degraded=True RolloutStuck', async () => {
    const a = await getApp();
    const d = condition(a, 'Degraded');
    return d?.status === 'True' && d.reason === 'RolloutStuck' ? a : undefined;
  }, 240_000);
  expect(condition(app, 'Ready')?.status).toBe('False');
  const deployment = await getDeployment();
  expect(condition(deployment, 'Progressing')?.reason).toBe('ProgressDeadlineExceeded');
  const report = await traffic.stop();
  expectNoFailures('v4->v5(broken)', report);
  const serving = (await servingPods()).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  expect(serving.length).toBeGreaterThanOrEqual(2);
  for (const p of serving) expect(p.spec?.containers[0]?.image).not.toContain(VARIANTS.v5!.tag);
}));

test('5. operator failover mid-migration: the standby leads within the lease duration, one Job for the image, the rollout completes', () => scenario('operator failover', async () => {
  const lease = () => kube.get('coordination.k8s.io/v1', 'Lease', OPERATOR_NS, 'fastapiapp-operator-leader');
  const before = await lease();
  const leader = before?.spec?.holderIdentity as string;
  expect(leader).toBeTruthy();
  const traffic = startTraffic(target, { label: 'v6' });
  await setTag(VARIANTS.v6!.tag, { progressDeadlineSeconds: 600 });
  const isV6Job = (j: Obj) => j.metadata?.annotations?.['fastapiapp.io/image']?.startsWith(imageOf(VARIANTS.v6!.tag));
  await waitFor('the v6 migration pod running', async () => {
    const pods = await kube.pods(NS, 'app.kubernetes.io/component=migration');
    return pods.some((p) => p.spec?.containers[0]?.image?.includes(VARIANTS.v6!.tag) && p.status?.phase === 'Running') || undefined;
  }, 120_000);
  const killedAt = Date.now();
  await kube.core.deleteNamespacedPod({ namespace: OPERATOR_NS, name: leader, gracePeriodSeconds: 0 });
  const leaseSeconds = before!.spec.leaseDurationSeconds as number;
  const newLeader = await waitFor('a new leader', async () => {
    const l = await lease();
    return l?.spec?.holderIdentity && l.spec.holderIdentity !== leader ? l.spec.holderIdentity as string : undefined;
  }, 120_000, 100);
  timings.failoverSeconds = (Date.now() - killedAt) / 1000;
  expect(newLeader).not.toBe(leader);
  expect(timings.failoverSeconds).toBeLessThanOrEqual(leaseSeconds + 5);
  await waitRolledOut('v6', 300_000);
  expect((await migrationJobs()).filter(isV6Job)).toHaveLength(1);
  await finishRollout('v5->v6 with failover', traffic);
  expect(await columns()).toContain('origin');
}));

test('6. scale through the scale subresource, as an HPA would: pods follow, no migration, Ready stays True', () => scenario('scale', async () => {
  const jobsBefore = (await migrationJobs()).length;
  const before = (await getApp())!;
  const generation = before.metadata!.generation!;
  // The operator keeps a condition's lastTransitionTime while its status stays the same: an
  // unchanged timestamp proves Ready never left True, however briefly (sampling could miss it).
  const readySince = (a: Obj): string => a.status.conditions.find((c: { type: string }) => c.type === 'Ready').lastTransitionTime;
  expect(condition(before, 'Ready')?.status).toBe('True');
  await kube.kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectScale({
    group: 'platform.fastapiapp.io', version: 'v1alpha1', namespace: NS, plural: 'fastapiapps', name: APP, body: { spec: { replicas: 3 } },
  }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await waitFor('3 ready serving pods', async () => {
    const pods = (await servingPods()).filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return pods.length === 3 || undefined;
  }, 120_000, 200);
  const app = await waitRolledOut('v6');
  expect(app.metadata!.generation).toBeGreaterThan(generation);
  expect(condition(app, 'Ready')?.status).toBe('True');
  expect(readySince(app)).toBe(readySince(before));
  expect((await getDeployment())!.spec.replicas).toBe(3);
  expect((await migrationJobs()).length).toBe(jobsBefore);
}));

test('7. the tag re-pushed with other bytes after its migration: pods keep the migrated digest, a new pod pulls it by digest, no Job, no roll', () => scenario('tag re-pushed', async () => {
  const { tag } = VARIANTS.v6!;
  const migrated = pushed.v6!.digest;
  const before = (await getApp())!;
  expect(before.status.imageDigest).toBe(migrated);
  // Every release the operator recorded ran the bytes buildah pushed for its tag.
  for (const [key, variant] of Object.entries(VARIANTS)) {
    const revision = (before.status.history as { image: string; digest?: string }[]).find((r) => r.image === imageOf(variant.tag));
    if (revision) expect(revision.digest).toBe(pushed[key]!.digest);
  }
  const jobsBefore = (await migrationJobs()).length;
  const podsBefore = (await servingPods()).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);

  // A rebuilt image pushed under the same tag: the registry now resolves the tag to other bytes.
  const entry = `${await buildRebuiltImage(images.app.v6!)}=${repo.slice(repo.indexOf('/') + 1)}:${tag}`;
  const repushed = (await cluster!.pushImages([entry]))[entry]!;
  expect(repushed.ref).toBe(imageOf(tag));
  expect(repushed.digest).not.toBe(migrated);
  expect(await registryDigest(repo, tag)).toBe(repushed.digest);
  // The node forgets its copies, so the next pod must pull from the registry.
  expect(forgetNodeImages(cluster!.info.containerdSocket, repo)).toContain(`${repo}@${migrated}`);

  // A change the operator must process (one more replica): proof it saw the app after the re-push.
  await setTag(tag, { replicas: 4 });
  const app = await waitRolledOut('v6');
  expect(app.status.observedGeneration).toBe(app.metadata!.generation);
  expect(app.status.imageDigest).toBe(migrated);
  expect(condition(app, 'Ready')?.status).toBe('True');
  expect(condition(app, 'Degraded')?.status).not.toBe('True');
  expect((await getDeployment())!.spec.template.spec.containers[0].image).toBe(`${repo}:${tag}@${migrated}`);
  expect((await migrationJobs()).length).toBe(jobsBefore);
  // No roll: the old pods still serve; the new one pulled the migrated digest, not the tag's new bytes.
  const pods = (await servingPods()).filter((p) => !p.metadata?.deletionTimestamp);
  expect(pods.map((p) => p.metadata!.name)).toEqual(expect.arrayContaining(podsBefore));
  const added = pods.filter((p) => !podsBefore.includes(p.metadata!.name!));
  expect(added).toHaveLength(1);
  expect(added[0]!.status?.containerStatuses?.[0]?.imageID).toBe(`${repo}@${migrated}`);
  expect(nodeImagesOf(cluster!.info.containerdSocket, repo)).toContain(`${repo}@${migrated}`);
  expect(nodeImagesOf(cluster!.info.containerdSocket, repo)).not.toContain(`${repo}@${repushed.digest}`);
}));

test('8. queries held behind a lock for longer than readiness allows failures: /readyz stays 200 from its own connection, every pod stays in the endpoints, no restart; requests are slow, none refused; all served once the lock goes', () => scenario('held lock', async () => {
  const pods = (await servingPods()).filter((p) => !p.metadata?.deletionTimestamp);
  const names = pods.map((p) => p.metadata!.name!).sort();
  const node = pods[0]!.spec!.nodeName!;
  const restarts = () => servingPods().then((ps) => Object.fromEntries(ps.map((p) => [p.metadata!.name!, p.status?.containerStatuses?.[0]?.restartCount])));
  const readySince = (ps: Awaited<ReturnType<typeof servingPods>>) => Object.fromEntries(ps.map((p) => [p.metadata!.name!, p.status?.conditions?.find((c) => c.type === 'Ready')]));
  const restartsBefore = await restarts();
  const readyBefore = readySince(pods);
  for (const c of Object.values(readyBefore)) expect(c?.status).toBe('True');
  const { failureThreshold, periodSeconds } = pods[0]!.spec!.containers[0]!.readinessProbe!;
  const id = (await call(target, 'POST', '/items', { name: 'behind a lock', description: 'held' })).json.id as number;

  // Every change to the Service's endpoints and to the pods while the lock is held.
  const slices = await WatchRecorder.start<Obj>(kube.kc, `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${APP}` });
  const podWatch = await WatchRecorder.start<Obj>(kube.kc, `/api/v1/namespaces/${NS}/pods`, { labelSelector: `app.kubernetes.io/instance=${APP},app.kubernetes.io/component=server` });
  const holder = new Client({ connectionString: pg.urlVia('127.0.0.1', 'items') });
  await holder.connect();
  const activity = async () => (await holder.query<{ app: string; waiting: number; total: number }>(
    "select application_name as app, count(*) filter (where wait_event_type = 'Lock')::int as waiting, count(*)::int as total from pg_stat_activity where datname = 'items' and application_name like 'fastapiapp%' group by 1")).rows;
  let traffic: ReturnType<typeof recordRequests> | undefined;
  let probes: Record<string, ProbeCounts> | undefined;
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const lockedAt = Date.now();
    // Reads of the locked table (each waits for the lock: up to the 10 s statement timeout, or 5 s for a pool
    // connection) and `/`, which needs no database: 20 requests/s, each on a new connection through the ClusterIP.
    traffic = recordRequests(target, [`/items/${id}`, '/items?limit=5', `/items/${id}`, '/']);
    // Every pod's serving pool is taken by lock waiters and more requests queue for it (the app's own gauge).
    const saturated = await waitFor('every pod with its pool busy and requests queued', async () => {
      const texts = await Promise.all(pods.map(appMetrics));
      return texts.every((t) => poolConnections(t, 'waiting') > 0) ? texts : undefined;
    }, 60_000, 250);
    for (const t of saturated) expect(poolConnections(t, 'total')).toBe(10); // DB_POOL_MAX's default, all open
    const probesAtSaturation = await readinessProbeCounts(kube, node, NS);
    // Hold until the kubelet has probed every pod failureThreshold + 1 times since: had those probes failed,
    // it would have marked every pod unready and emptied the endpoints.
    const probesSince = (now: Map<string, ProbeCounts>, n: string) => ({
      successful: now.get(n)!.successful - probesAtSaturation.get(n)!.successful, failed: now.get(n)!.failed - probesAtSaturation.get(n)!.failed,
    });
    probes = await waitFor(`${failureThreshold! + 1} readiness probes of each pod under the lock`, async () => {
      const now = await readinessProbeCounts(kube, node, NS);
      return names.every((n) => probesSince(now, n).successful + probesSince(now, n).failed >= failureThreshold! + 1)
        ? Object.fromEntries(names.map((n) => [n, probesSince(now, n)])) : undefined;
    }, 60_000 + 2 * failureThreshold! * periodSeconds! * 1000, 1000);
    // ... and the pools are still taken, with requests queued, after those probes.
    for (const t of await Promise.all(pods.map(appMetrics))) expect([poolConnections(t, 'total'), poolConnections(t, 'waiting') > 0]).toEqual([10, true]);
    // No storm of connections: one probe connection per pod, the serving pools at their bound.
    const held = await activity();
    expect(held.find((a) => a.app === 'fastapiapp-probe')?.total).toBe(pods.length);
    expect(held.find((a) => a.app === 'fastapiapp')?.waiting).toBeGreaterThan(0);
    expect(held.find((a) => a.app === 'fastapiapp')?.total).toBeLessThanOrEqual(10 * pods.length);
    timings.heldLockSeconds = (Date.now() - lockedAt) / 1000;
  } finally {
    await holder.query('COMMIT').catch(() => undefined);
  }
  const releasedAt = Date.now();
  const drained = await waitFor('no query waiting on a lock', async () => ((await activity()).every((a) => a.waiting === 0) ? Date.now() : undefined), 30_000, 100);
  await holder.end();
  await new Promise((r) => setTimeout(r, 3000)); // requests sent after the release, to see them served
  const outcomes = await traffic!.stop();
  slices.stop();
  podWatch.stop();
  const podsAfter = (await servingPods()).filter((p) => !p.metadata?.deletionTimestamp);
  const endpoints = (await kube.list('discovery.k8s.io/v1', 'EndpointSlice', NS, `kubernetes.io/service-name=${APP}`)).flatMap(sliceEndpoints);
  const during = outcomes.filter((o) => o.path !== '/' && o.at < releasedAt);
  const after = outcomes.filter((o) => o.at >= drained);
  timings.heldLockRequests = outcomes.length;
  timings.heldLockSlow503 = during.filter((o) => o.status === 503).length;
  timings.heldLockSlowestMs = Math.max(...during.map((o) => o.ms));
  const appUnavailable = (o: Outcome) => o.status === 503 && (o.json as { detail?: string }).detail === 'Database unavailable';

  // One verdict, so a failure shows everything that went wrong at once.
  expect({
    readinessProbeFailures: Object.values(probes!).reduce((sum, c) => sum + c.failed, 0),
    endpointsThatTurnedUnready: [...new Set(slices.events.flatMap((e) => sliceEndpoints(e.object)).filter((ep) => ep.conditions?.ready !== true).map((ep) => ep.targetRef?.name))],
    podsThatTurnedUnready: [...new Set(podWatch.events.filter((e) => e.object.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status !== 'True')).map((e) => e.object.metadata!.name))],
    readyConditionsAfter: readySince(podsAfter),
    readyEndpointsAfter: endpoints.filter((ep) => ep.conditions?.ready).map((ep) => ep.targetRef?.name).sort(),
    restarts: await restarts(),
    // none refused for lack of endpoints, reset, or unanswered in 30 s
    requestsWithoutAnswer: outcomes.filter((o) => o.error).slice(0, 5),
    // the reads answer 200, or the app's own 503 once one waited past its statement (10 s) or pool (5 s) timeout
    unexpectedAnswers: outcomes.filter((o) => o.status !== undefined && o.status !== 200 && !appUnavailable(o)).slice(0, 5),
    rootNot200: outcomes.filter((o) => o.path === '/' && o.status !== 200).length,
    notServedAfterRelease: after.filter((o) => o.status !== 200).length,
  }).toEqual({
    readinessProbeFailures: 0, endpointsThatTurnedUnready: [], podsThatTurnedUnready: [], readyConditionsAfter: readyBefore,
    readyEndpointsAfter: names, restarts: restartsBefore, requestsWithoutAnswer: [], unexpectedAnswers: [], rootNot200: 0, notServedAfterRelease: 0,
  });
  expect(Object.values(probes!).every((c) => c.successful >= failureThreshold! + 1)).toBe(true);
  expect(after.length).toBeGreaterThanOrEqual(20);
  expect(timings.heldLockSlowestMs).toBeGreaterThanOrEqual(4000); // the reads did wait on the lock
}));

test('9. deleting the FastApiApp: the real garbage collector removes every child', () => scenario('delete', async () => {
  await kube.delete(GROUP, 'FastApiApp', NS, APP);
  await waitFor('every child gone', async () => {
    const [deployment, service, jobs, pods] = await Promise.all([
      getDeployment(), kube.get('v1', 'Service', NS, APP), migrationJobs(), kube.pods(NS, `app.kubernetes.io/instance=${APP}`),
    ]);
    return !deployment && !service && jobs.length === 0 && pods.length === 0 ? true : undefined;
  }, 180_000, 500);
}));

test('10. teardown leaves the host as it was: links, addresses, routes, iptables and nft rules, sysctls, paths, cgroups', async () => {
  const c = cluster!;
  cluster = undefined;
  timings.teardownSeconds = await c.stop();
  expect(await hostSnapshot()).toEqual(hostBefore);
});
