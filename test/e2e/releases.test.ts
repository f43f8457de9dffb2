// Release history on the real one-node cluster (issue 27's Tests section): one app walked through
// r1 → r5 (each adding a nullable column), rollbacks (from status.history, and a rebuilt r1 that
// is not in it), r6 with a contract (post-deploy) migration, a refused rollback across it, a
// switch to an empty database, and a missing Secret. Steady traffic through the Service's
// ClusterIP (keep-alive and a new connection per request, reads and writes) runs through every
// release: each scenario must see zero failed requests, and every acknowledged write must be in
// Postgres. The operator and the app are installed and built as whole-path.test.ts does.
import { PatchStrategy, Watch, type V1Pod } from '@kubernetes/client-node';
import { Client } from 'pg';
import { startTestCluster, type TestCluster } from '../harness/cluster';
import type { PostgresCluster } from '../harness/postgres/cluster';
import { waitFor } from '../harness/wait';
import { requireRoot } from '../images/support/buildah';
import { buildReleaseImages, RELEASE_VARIANTS } from './support/images';
import { installOperator, markedSecretLabels, OPERATOR_NS, secretReaderBinding, startBridgePostgres } from './support/install';
import { condition, Kube, runScenario, type Obj } from './support/kube';
import { GROUP, waitDrained, waitRolledOut as rolledOut } from './support/rollout';
import { call, startTraffic, type TrafficReport } from './support/traffic';

jest.setTimeout(40 * 60_000);

const NS = `releases-${process.pid}`;
const APP = 'items';
// spec.migration.postDeployDelaySeconds: the contract Job waits this long after the rollout; shorter
// than the app's shutdown delay (5 s), so old pods still drain when it has passed
const BAKE_SECONDS = 3;
const tag = (key: string): string => RELEASE_VARIANTS[key]!.tag;

let cluster: TestCluster | undefined;
let kube: Kube;
let pg: PostgresCluster;
let bridgeIp: string;
let target: { host: string; port: number };
/** The releases' repository in the cluster's registry (the pods pull it), set once the images are pushed. */
let repo: string;
const setup: Record<string, number> = {};
/** scenario → wall seconds from the change to its check, requests sent, failed requests */
const table: Array<{ scenario: string; seconds: number; sent: number; failed: number }> = [];
/** every write the app acknowledged (database items), checked after each scenario */
const acknowledged: number[] = [];

const scenario = <T>(name: string, body: () => Promise<T>): Promise<T> => runScenario(kube, { namespace: NS, app: APP, operatorNamespace: OPERATOR_NS }, name, body);

const getApp = (name = APP) => kube.get(GROUP, 'FastApiApp', NS, name);
const jobsOf = (name = APP) => kube.list('batch/v1', 'Job', NS, `app.kubernetes.io/instance=${name},app.kubernetes.io/component=migration`);
const servingPods = async () => (await kube.pods(NS, `app.kubernetes.io/instance=${APP},app.kubernetes.io/component=server`)).filter((p) => !p.metadata?.deletionTimestamp);
const imageOf = (key: string) => `${repo}:${tag(key)}`;
const jobFor = (jobs: Obj[], key: string, phase: 'pre' | 'post' = 'pre') => jobs.filter((j) => j.metadata?.annotations?.['fastapiapp.io/image'] === imageOf(key)
  && j.metadata?.annotations?.['fastapiapp.io/migration-phase'] === phase);
const waitRolledOut = (key: string, timeoutMs?: number): Promise<Obj> => rolledOut(kube, { namespace: NS, name: APP, repo }, tag(key), timeoutMs);
const seconds = (iso: string | Date | undefined): number => Math.floor(new Date(iso as string).getTime() / 1000);

async function patchSpec(spec: Record<string, unknown>): Promise<void> {
  await kube.objects.patch({ apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP, namespace: NS }, spec } as Obj,
    undefined, undefined, 'e2e-deploy', undefined, PatchStrategy.MergePatch);
}
const setTag = (key: string) => patchSpec({ tag: tag(key) });

async function query<T>(sql: string, params: unknown[] = [], database = 'items'): Promise<T[]> {
  const db = new Client({ connectionString: pg.urlVia('127.0.0.1', database) });
  await db.connect();
  try {
    return (await db.query(sql, params)).rows as T[];
  } finally {
    await db.end();
  }
}
const columns = async (database = 'items') => (await query<{ column_name: string }>(
  "select column_name from information_schema.columns where table_name = 'items'", [], database)).map((r) => r.column_name);
const appliedMigrations = async (database = 'items') => query<{ name: string; migration_time: Date }>('select name, migration_time from knex_migrations order by id', [], database);

/** Every id is a stored item of `database`. */
async function expectStored(ids: number[], database = 'items'): Promise<void> {
  const stored = await query<{ id: number }>('select id from items where id = any($1::int[])', [ids], database);
  expect(stored.length).toBe(ids.length);
}

/**
 * Keeps the traffic on until no server pod of the app is exiting (Ready already waited for the
 * replaced ones) and a short tail after (waitDrained), then stops it: zero failed requests, at the suite's rate.
 */
async function finish(name: string, traffic: ReturnType<typeof startTraffic>, readySeconds: number): Promise<TrafficReport> {
  await waitDrained(kube, { namespace: NS, name: APP });
  const report = await traffic.stop();
  table.push({ scenario: name, seconds: readySeconds, sent: report.sent, failed: report.failed.length });
  expect(report.failed).toEqual([]);
  expect(report.sent / report.seconds).toBeGreaterThanOrEqual(50);
  return report;
}

/** Finishes a scenario whose writes all went to the items database: they, and every earlier one, are stored. */
async function finishKept(name: string, traffic: ReturnType<typeof startTraffic>, readySeconds: number): Promise<void> {
  const report = await finish(name, traffic, readySeconds);
  acknowledged.push(...report.written);
  await expectStored(acknowledged);
}

/** Condition `type` of the current generation has this status and reason. */
const waitCondition = (type: string, status: string, reason: string, timeoutMs: number, name = APP): Promise<Obj> =>
  waitFor(`${name} ${type}=${status} ${reason}`, async () => {
    const a = await getApp(name);
    const c = condition(a, type);
    return c?.status === status && c.reason === reason && c.observedGeneration === a?.metadata?.generation ? a : undefined;
  }, timeoutMs, 200);

beforeAll(async () => {
  requireRoot();
  const t0 = Date.now();
  const images = await buildReleaseImages();
  setup.buildImagesSeconds = (Date.now() - t0) / 1000;
  cluster = await startTestCluster();
  setup.clusterStartSeconds = cluster.info.phases.ready! / 1000;
  kube = new Kube(cluster.kubeConfig());
  bridgeIp = cluster.info.bridgeIp;
  const t1 = Date.now();
  const { v1: _base, ...deployed } = images.app; // the base image itself is never deployed
  // into the cluster's registry (the kubelet pulls; layers the releases share are pushed once)
  const pushed = await cluster.pushImages([images.operator, ...Object.values(deployed)]);
  setup.pushImagesSeconds = (Date.now() - t1) / 1000;
  const r1 = pushed[images.app.r1!]!.ref;
  repo = r1.slice(0, r1.lastIndexOf(':'));

  pg = await startBridgePostgres(cluster.info, ['items']);
  const operatorRef = pushed[images.operator]!;
  await installOperator(kube, cluster.info, `${operatorRef.ref}@${operatorRef.digest}`);
  await kube.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'items-database', namespace: NS, labels: markedSecretLabels }, stringData: { url: pg.urlVia(bridgeIp, 'items') } } as Obj,
    secretReaderBinding(NS),
  ]);
}, 40 * 60_000);

afterAll(async () => {
  const rows = table.map((r) => `| ${r.scenario.padEnd(44)} | ${r.seconds.toFixed(1).padStart(7)} | ${String(r.sent).padStart(8)} | ${String(r.failed).padStart(6)} |`);
  process.stderr.write(`\nreleases setup: ${JSON.stringify(setup)}\n| scenario${' '.repeat(36)} | seconds | requests | failed |\n|${'-'.repeat(46)}|---------|----------|--------|\n${rows.join('\n')}\n`);
  await cluster?.stop().catch(() => undefined);
  await pg?.destroy();
});

test('1. releases r1 → r5, each adding a nullable column: each migrates, then rolls out Ready, zero failed requests', () => scenario('r1..r5', async () => {
  let t0 = Date.now();
  await kube.apply({
    apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP, namespace: NS },
    spec: {
      image: repo, tag: tag('r1'), replicas: 2, databaseSecretRef: { name: 'items-database', key: 'url' },
      migration: { postDeployDelaySeconds: BAKE_SECONDS },
      env: [{ name: 'RATE_LIMIT_WRITES', value: '0' }], // every test client is the host's one address
    },
  } as Obj);
  await waitRolledOut('r1');
  table.push({ scenario: 'first deploy r1 (no traffic yet)', seconds: (Date.now() - t0) / 1000, sent: 0, failed: 0 });
  expect(await columns()).toContain('c1');
  const svc = await kube.get('v1', 'Service', NS, APP);
  target = { host: svc!.spec.clusterIP, port: svc!.spec.ports[0].port };
  expect((await call(target, 'GET', '/items')).status).toBe(200);

  const traffic = startTraffic(target, { label: 'r1-r5' });
  const started = Date.now();
  for (const key of ['r2', 'r3', 'r4', 'r5']) {
    t0 = Date.now();
    await setTag(key);
    await waitRolledOut(key);
    setup[`${key}ReadySeconds`] = (Date.now() - t0) / 1000;
    const n = Number(key.slice(1));
    expect(await columns()).toContain(`c${n}`);
    expect(jobFor(await jobsOf(), key)[0]?.status?.succeeded).toBe(1);
  }
  await finishKept('r1 → r2 → r3 → r4 → r5', traffic, (Date.now() - started) / 1000);
  expect((await appliedMigrations()).map((m) => m.name).slice(-5)).toEqual(['101_add_c1', '102_add_c2', '103_add_c3', '104_add_c4', '105_add_c5']);
}));

test('2. rollback to r1, its Job pruned by the history limit: Ready=True on r1 within 60 s, zero failed requests, every write readable', () => scenario('rollback to r1', async () => {
  // jobsHistoryLimit 3: r1's Job is gone (deleted by the operator after r4's and r5's succeeded)
  await waitFor('r1\'s Job pruned', async () => (jobFor(await jobsOf(), 'r1').length === 0 ? true : undefined), 60_000);
  const traffic = startTraffic(target, { label: 'rollback-r1' });
  const t0 = Date.now();
  await setTag('r1');
  await waitRolledOut('r1', 60_000);
  const ready = (Date.now() - t0) / 1000;
  expect(ready).toBeLessThanOrEqual(60);
  for (const p of await servingPods()) expect(p.spec?.containers[0]?.image).toContain(`:${tag('r1')}`);
  await finishKept('rollback r5 → r1 (Job pruned)', traffic, ready);
  // the database stays ahead: r2..r5's columns are kept, nothing was rolled back
  expect(await columns()).toEqual(expect.arrayContaining(['c1', 'c2', 'c3', 'c4', 'c5']));
}));

test('3. rollback to a revision in status.history with unchanged inputs: the Deployment rolls, no migration Job', () => scenario('rollback from history', async () => {
  const before = await getApp();
  const r3 = (before!.status.history as Array<{ image: string; inputs: string }>).find((r) => r.image === imageOf('r3'));
  expect(r3).toBeDefined();
  const jobsBefore = (await jobsOf()).map((j) => j.metadata!.name).sort();
  const traffic = startTraffic(target, { label: 'history-r3' });
  const t0 = Date.now();
  await setTag('r3');
  // Ready=True for the new generation: the operator processed it (and the Deployment runs r3)
  const app = await waitRolledOut('r3', 60_000);
  const ready = (Date.now() - t0) / 1000;
  expect(app.metadata!.generation).toBeGreaterThan(before!.metadata!.generation!);
  expect(app.status.observedGeneration).toBe(app.metadata!.generation);
  expect(app.status.migratedInputs).toBe(r3!.inputs);
  expect(condition(app, 'Migrated')).toMatchObject({ status: 'True', observedGeneration: app.metadata!.generation });
  const jobsAfter = (await jobsOf()).map((j) => j.metadata!.name).sort();
  expect(jobsAfter.filter((n) => !jobsBefore.includes(n))).toEqual([]); // no Job was created
  await finishKept('rollback r1 → r3 (history, no Job)', traffic, ready);
}));

test('3b. rollback by rebuilding r1 under a new tag (reverting the commit): its Job finds the database ahead and exits 0; Ready within 60 s', () => scenario('revert build', async () => {
  const traffic = startTraffic(target, { label: 'revert-r1' });
  const t0 = Date.now();
  await setTag('r1revert');
  await waitRolledOut('r1revert', 60_000);
  const ready = (Date.now() - t0) / 1000;
  const [job] = jobFor(await jobsOf(), 'r1revert');
  expect(job?.status?.succeeded).toBe(1);
  const pods = await kube.pods(NS, `job-name=${job!.metadata!.name}`);
  const terminated = pods.map((p) => p.status?.containerStatuses?.[0]?.state?.terminated).find((t) => t?.exitCode === 0);
  expect(JSON.parse(terminated!.message!)).toMatchObject({ command: 'pre', result: 'ahead', aheadBy: 4, applied: [] });
  await finishKept('rollback r3 → r1-revert (Job, db ahead)', traffic, ready);
}));

/** Times at which a watch saw server pods deleted, by pod name. */
function watchPodDeletions(resourceVersion: string): { gone: Map<string, number>; stop: () => void } {
  const gone = new Map<string, number>();
  let controller: AbortController | undefined;
  void new Watch(kube.kc).watch(`/api/v1/namespaces/${NS}/pods`,
    { resourceVersion, labelSelector: `app.kubernetes.io/instance=${APP},app.kubernetes.io/component=server` },
    (type, pod: V1Pod) => { if (type === 'DELETED') gone.set(pod.metadata!.name!, Date.now()); },
    () => undefined).then((c) => { controller = c; });
  return { gone, stop: () => controller?.abort() };
}

test('4. r6 with a contract migration: the post-deploy Job starts only after r6 is fully out (no old pod left) and the bake time; PostMigrated', () => scenario('r6 contract', async () => {
  const list = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: `app.kubernetes.io/instance=${APP},app.kubernetes.io/component=server` });
  const old = list.items.map((p) => p.metadata!.name!);
  const deletions = watchPodDeletions(list.metadata!.resourceVersion!);
  expect(await columns()).toContain('c1');
  const traffic = startTraffic(target, { label: 'r6' });
  const t0 = Date.now();
  try {
    await setTag('r6');
    await waitRolledOut('r6');
    const ready = (Date.now() - t0) / 1000;
    const app = await waitCondition('PostMigrated', 'True', 'PostDeployMigrationSucceeded', 120_000);
    setup.r6PostMigratedSeconds = (Date.now() - t0) / 1000;
    expect(await columns()).not.toContain('c1');
    await finish('r1-revert → r6 (contract, post-deploy)', traffic, ready).then((r) => acknowledged.push(...r.written));
    await expectStored(acknowledged);

    const [post] = jobFor(await jobsOf(), 'r6', 'post');
    expect(post?.status?.succeeded).toBe(1);
    const [postPod] = await kube.pods(NS, `job-name=${post!.metadata!.name}`);
    // every pod of the previous release was seen deleted, and the post Job (and its pod) came after
    // the last one was gone (API timestamps have whole seconds: compared at that resolution)
    for (const name of old) expect(deletions.gone.has(name)).toBe(true);
    const lastGone = Math.max(...old.map((n) => deletions.gone.get(n)!));
    expect(seconds(post!.metadata!.creationTimestamp)).toBeGreaterThanOrEqual(seconds(new Date(lastGone)));
    expect(seconds(postPod!.status!.startTime)).toBeGreaterThanOrEqual(seconds(new Date(lastGone)));
    // and the bake time after the rollout the operator recorded
    const rev = (app.status.history as Array<{ image: string; firstServed: string; postMigrated?: boolean; contract?: string[] }>).find((r) => r.image === imageOf('r6'))!;
    expect(seconds(post!.metadata!.creationTimestamp)).toBeGreaterThanOrEqual(seconds(new Date(Date.parse(rev.firstServed) + BAKE_SECONDS * 1000)));
    expect(rev).toMatchObject({ postMigrated: true, contract: ['106_drop_c1'] });
    const applied = await appliedMigrations();
    expect(applied.at(-1)!.name).toBe('106_drop_c1');
    // whole seconds (creationTimestamp's resolution): 0 = created in the second the last old pod went
    setup.r6PostJobAfterLastOldPodGoneSeconds = seconds(post!.metadata!.creationTimestamp) - seconds(new Date(lastGone));
    setup.r6PostJobAfterRolloutSeconds = seconds(post!.metadata!.creationTimestamp) - seconds(rev.firstServed);
  } finally {
    deletions.stop();
  }
}));

test('5. rollback r6 → r5 is refused: Degraded=True RollbackBlocked naming the contract migration, the r6 pods keep serving', () => scenario('rollback blocked', async () => {
  const jobNames = async () => (await jobsOf()).map((j) => j.metadata!.name!);
  const jobsBefore = await jobNames();
  const traffic = startTraffic(target, { label: 'blocked' });
  const t0 = Date.now();
  await setTag('r5');
  const app = await waitCondition('Degraded', 'True', 'RollbackBlocked', 30_000);
  const blockedAfter = (Date.now() - t0) / 1000;
  expect(condition(app, 'Degraded')!.message).toContain('106_drop_c1');
  expect(condition(app, 'Ready')?.status).toBe('False');
  expect(condition(app, 'Available')?.status).toBe('True');
  await waitFor('a RollbackBlocked Event', async () => ((await kube.events(NS)).some((e) => e.type === 'Warning' && e.reason === 'RollbackBlocked'
    && e.involvedObject.name === APP) || undefined), 10_000);
  await finish('rollback r6 → r5 refused (RollbackBlocked)', traffic, blockedAfter).then((r) => acknowledged.push(...r.written));
  const serving = await servingPods();
  expect(serving).toHaveLength(2);
  for (const p of serving) expect(p.spec?.containers[0]?.image).toContain(`:${tag('r6')}`);
  expect((await jobNames()).filter((n) => !jobsBefore.includes(n))).toEqual([]); // refused from history: no Job tried
  expect(await columns()).not.toContain('c1');
  await expectStored(acknowledged);

  await setTag('r6'); // forward again, from status (no Job)
  await waitRolledOut('r6', 60_000);
  expect((await jobNames()).filter((n) => !jobsBefore.includes(n))).toEqual([]);
}));

test('6. databaseSecretRef switched to an empty database: migrated before any pod uses it, zero failed requests', () => scenario('database switch', async () => {
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  await admin.query('create database items2').finally(() => admin.end());
  await kube.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'items-database-2', namespace: NS, labels: markedSecretLabels }, stringData: { url: pg.urlVia(bridgeIp, 'items2') } } as Obj);
  expect(await query('select 1 from pg_tables where tablename = \'items\'', [], 'items2')).toHaveLength(0);
  const label = `dbswitch-${Date.now()}`;
  const traffic = startTraffic(target, { label, readBack: false }); // the new database has none of the old ids
  const t0 = Date.now();
  await patchSpec({ databaseSecretRef: { name: 'items-database-2', key: 'url' } });
  await waitRolledOut('r6');
  const ready = (Date.now() - t0) / 1000;
  const report = await finish('switch to an empty database', traffic, ready);

  // the new pods, and when the database got its schema
  const pods = await servingPods();
  expect(pods).toHaveLength(2);
  for (const p of pods) expect(p.spec?.containers[0]?.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name).toBe('items-database-2');
  const applied = await appliedMigrations('items2');
  const pre = applied.filter((m) => m.name !== '106_drop_c1');
  expect(pre.map((m) => m.name)).toEqual(['001_create_items', '002_add_price', '003_add_sentiment', '004_add_updated_at', '005_create_idempotency_keys',
    '101_add_c1', '102_add_c2', '103_add_c3', '104_add_c4', '105_add_c5']);
  const schemaAt = seconds(pre.at(-1)!.migration_time);
  const job = (await jobsOf()).filter((j) => Date.parse(j.metadata!.creationTimestamp as unknown as string) >= seconds(new Date(t0)) * 1000
    && j.metadata?.annotations?.['fastapiapp.io/migration-phase'] === 'pre');
  expect(job).toHaveLength(1);
  expect(job[0]!.status?.succeeded).toBe(1);
  for (const p of pods) {
    expect(seconds(p.metadata!.creationTimestamp)).toBeGreaterThanOrEqual(schemaAt);
    expect(seconds(p.metadata!.creationTimestamp)).toBeGreaterThanOrEqual(seconds(job[0]!.status.completionTime));
  }
  // every acknowledged write is in one of the two databases (old pods wrote to items, new ones to items2)
  const rows = [...await query<{ id: number }>('select id from items where name like $1', [`${label} %`], 'items'),
    ...await query<{ id: number }>('select id from items where name like $1', [`${label} %`], 'items2')];
  expect(rows.length).toBe(report.written.length);
  const byId = (a: number, b: number) => a - b;
  expect(rows.map((r) => Number(r.id)).sort(byId)).toEqual([...report.written].sort(byId));
  // the contract migration follows for the new database too
  await waitCondition('PostMigrated', 'True', 'PostDeployMigrationSucceeded', 120_000);
  expect(await columns('items2')).not.toContain('c1');
}));

test('7. a FastApiApp referencing a missing Secret: Degraded=True SecretNotFound within 30 s, nothing started', () => scenario('missing secret', async () => {
  const t0 = Date.now();
  await kube.apply({
    apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: 'orphan', namespace: NS },
    spec: { image: repo, tag: tag('r1'), replicas: 1, databaseSecretRef: { name: 'no-such-secret', key: 'url' } },
  } as Obj);
  const app = await waitCondition('Degraded', 'True', 'SecretNotFound', 30_000, 'orphan');
  const after = (Date.now() - t0) / 1000;
  table.push({ scenario: 'missing Secret → SecretNotFound', seconds: after, sent: 0, failed: 0 });
  expect(after).toBeLessThanOrEqual(30);
  expect(condition(app, 'Degraded')!.message).toContain('no-such-secret');
  expect(await jobsOf('orphan')).toHaveLength(0);
  await kube.delete(GROUP, 'FastApiApp', NS, 'orphan');
}));
