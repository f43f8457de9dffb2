// Release ordering on the real one-node cluster (issue 27 items 5, 7 and 8), judged from the API
// server's own records rather than by sampling: watches on the FastApiApp and the namespace's pods
// (every event, in resourceVersion order), the migration containers' own start and finish times,
// and lists of pods at exactly the resourceVersion at which the operator wrote Ready=True.
//  2. A -> B -> C while B's migration sleeps: no two migration containers overlap, C ends Ready.
//  3. Twenty tag changes between already-migrated images: never Ready=True (current generation)
//     while a pod of another release still exists (in service or exiting); one RolloutComplete Event per release.
//  4. A tag that was never built: Degraded=True ImagePullFailed within 30 s.
import fs from 'node:fs';
import { PatchStrategy, type V1Pod } from '@kubernetes/client-node';
import { Client } from 'pg';
import { startTestCluster, type TestCluster } from '../harness/cluster';
import type { PostgresCluster } from '../harness/postgres/cluster';
import { requireRoot } from '../images/support/buildah';
import { buildAppImages, ORDERING_IMAGES, ORDERING_SLEEP_SECONDS } from './support/images';
import { installOperator, markedSecretLabels, OPERATOR_NS, secretReaderBinding, startBridgePostgres } from './support/install';
import { condition, Kube, runScenario, type Obj } from './support/kube';
import { GROUP, waitRolledOut } from './support/rollout';
import { WatchRecorder, type Seen } from './support/watch';

jest.setTimeout(30 * 60_000);

const NS = `order-${process.pid}`;
const APP = 'items';
/** The app's repository in the cluster's registry (the pods pull it), set once the images are pushed. */
let repo: string;
const TAG = { a: ORDERING_IMAGES.variants.v1!.tag, b: ORDERING_IMAGES.variants.b!.tag, c: ORDERING_IMAGES.variants.c!.tag };
const MISSING_TAG = 'order-never-built';
const RELEASES = 20;
const VERSION_LABEL = 'app.kubernetes.io/version';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

let cluster: TestCluster | undefined;
let kube: Kube;
let pg: PostgresCluster | undefined;
let apps: WatchRecorder<Obj>;
let pods: WatchRecorder<V1Pod>;
/** scenario -> seconds and what it counted: printed as a table at the end (docs/operator/releases.md). */
const table: { scenario: string; seconds: number; counts: string }[] = [];

const scenario = <T>(name: string, body: () => Promise<T>): Promise<T> => runScenario(kube, { namespace: NS, app: APP, operatorNamespace: OPERATOR_NS }, name, body);

/** Merge-patches spec.tag (as the deploy workflow does); resolves with the new metadata.generation. */
async function setTag(tag: string, more: Record<string, unknown> = {}): Promise<number> {
  const patched = await kube.objects.patch({ apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP, namespace: NS }, spec: { tag, ...more } } as Obj,
    undefined, undefined, 'e2e-deploy', undefined, PatchStrategy.MergePatch) as Obj;
  return patched.metadata!.generation!;
}

/** Ready=True written for the generation the object carries (status and condition both current). */
function readyNow(app: Obj): boolean {
  const ready = condition(app, 'Ready');
  const generation = app.metadata?.generation;
  return ready?.status === 'True' && ready.observedGeneration === generation && app.status?.observedGeneration === generation;
}

const untilReady = (what: string, generation: number, from: number, timeoutMs = 240_000): Promise<{ value: Seen<Obj>; index: number }> =>
  apps.until(what, (e) => (e.type !== 'DELETED' && e.object.metadata?.generation === generation && readyNow(e.object) ? e : undefined), timeoutMs, from);

const isMigrationPod = (p: V1Pod) => p.metadata?.labels?.[COMPONENT_LABEL] === 'migration';
const isServerPod = (p: V1Pod) => p.metadata?.labels?.[COMPONENT_LABEL] === 'server';
const migrateContainer = (p: V1Pod) => p.status?.containerStatuses?.find((c) => c.name === 'migrate');
const seconds = (from: number, to: number) => Math.round((to - from) / 100) / 10;

async function columns(): Promise<string[]> {
  const db = new Client({ connectionString: pg!.urlVia('127.0.0.1', 'items') });
  await db.connect();
  try {
    return (await db.query("select column_name from information_schema.columns where table_name = 'items'")).rows.map((r: { column_name: string }) => r.column_name);
  } finally {
    await db.end();
  }
}

beforeAll(async () => {
  requireRoot();
  const images = await buildAppImages(ORDERING_IMAGES);
  cluster = await startTestCluster();
  kube = new Kube(cluster.kubeConfig());
  // into the cluster's registry (the kubelet pulls; layers shared by the variants are pushed once)
  const pushed = await cluster.pushImages([images.operator, ...Object.values(images.app)]);
  const a = pushed[images.app.v1!]!.ref;
  repo = a.slice(0, a.lastIndexOf(':'));
  pg = await startBridgePostgres(cluster.info, ['items']);
  const operatorRef = pushed[images.operator]!;
  await installOperator(kube, cluster.info, `${operatorRef.ref}@${operatorRef.digest}`);
  await kube.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'items-database', namespace: NS, labels: markedSecretLabels }, stringData: { url: pg.urlVia(cluster.info.bridgeIp, 'items') } } as Obj,
    secretReaderBinding(NS),
  ]);
  apps = await WatchRecorder.start<Obj>(kube.kc, `/apis/${GROUP}/namespaces/${NS}/fastapiapps`);
  pods = await WatchRecorder.start<V1Pod>(kube.kc, `/api/v1/namespaces/${NS}/pods`);
}, 30 * 60_000);

afterAll(async () => {
  apps?.stop();
  pods?.stop();
  const lines = ['| scenario | seconds | counts |', '|---|---|---|', ...table.map((r) => `| ${r.scenario} | ${r.seconds} | ${r.counts} |`)];
  process.stderr.write(`\nrelease-ordering (${new Date().toISOString()}):\n${lines.join('\n')}\n`);
  if (process.env.E2E_REPORT_FILE) fs.writeFileSync(process.env.E2E_REPORT_FILE, JSON.stringify(table, null, 2));
  await cluster?.stop().catch(() => undefined);
  await pg?.destroy();
});

test('1. release A: migrated and serving', () => scenario('A', async () => {
  const t0 = Date.now();
  const from = apps.events.length;
  await kube.apply({
    apiVersion: GROUP, kind: 'FastApiApp', metadata: { name: APP, namespace: NS },
    spec: { image: repo, tag: TAG.a, replicas: 2, databaseSecretRef: { name: 'items-database', key: 'url' } },
  } as Obj);
  const ready = await untilReady('Ready on A', 1, from);
  await waitRolledOut(kube, { namespace: NS, name: APP, repo }, TAG.a);
  table.push({ scenario: 'A: first deploy to Ready', seconds: seconds(t0, ready.value.at), counts: '1 migration Job' });
}));

/** What the pod watch saw of one migration pod: its release, when it existed, its container's own times. */
interface MigrationRun {
  name: string;
  tag: string;
  added: number;
  deleted?: number;
  /** its container was seen running or terminated (a pod deleted before it started never ran) */
  ran: boolean;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
}

function migrationRuns(from: number): MigrationRun[] {
  const runs = new Map<string, MigrationRun>();
  pods.events.slice(from).forEach((e, i) => {
    const p = e.object;
    if (!isMigrationPod(p)) return;
    const name = p.metadata!.name!;
    const run = runs.get(name) ?? { name, tag: p.metadata!.labels![VERSION_LABEL]!, added: from + i, ran: false };
    runs.set(name, run);
    if (e.type === 'DELETED') run.deleted = from + i;
    const state = migrateContainer(p)?.state;
    if (state?.running || state?.terminated) run.ran = true;
    const terminated = state?.terminated;
    if (terminated?.startedAt && terminated.finishedAt) {
      Object.assign(run, { startedAt: new Date(terminated.startedAt).getTime(), finishedAt: new Date(terminated.finishedAt).getTime(), exitCode: terminated.exitCode, reason: terminated.reason });
    }
  });
  return [...runs.values()];
}

test('2. A -> B -> C while B migrates: B is stopped (or finishes) before C\'s migration container starts; no two overlap; C ends Ready', () => scenario('A->B->C', async () => {
  const podFrom = pods.events.length;
  const appFrom = apps.events.length;
  const t0 = Date.now();
  await setTag(TAG.b);
  const running = await pods.until('B\'s migration container running', (e) => (isMigrationPod(e.object) && e.object.metadata?.labels?.[VERSION_LABEL] === TAG.b
    && migrateContainer(e.object)?.state?.running ? e : undefined), 180_000, podFrom);
  // B now runs `pre`: its lint dry run and then its migration each sleep ORDERING_SLEEP_SECONDS
  const cAt = Date.now();
  const generation = await setTag(TAG.c);
  const ready = await untilReady('Ready on C', generation, appFrom, 300_000);
  await waitRolledOut(kube, { namespace: NS, name: APP, repo }, TAG.c);

  // the operator went through "stop the superseded Job first"
  const stopping = apps.events.slice(appFrom).some((e) => condition(e.object, 'Migrated')?.reason === 'StoppingSupersededJob');
  expect(stopping).toBe(true);
  const runs = migrationRuns(podFrom);
  const b = runs.filter((r) => r.tag === TAG.b);
  const c = runs.filter((r) => r.tag === TAG.c);
  expect(b.map((r) => r.name)).toContain(running.value.object.metadata!.name);
  expect(c.length).toBeGreaterThanOrEqual(1);
  // every migration container of the scenario that ran reported its own start and finish (the kubelet's record, 1 s resolution)
  const ran = [...b, ...c].filter((r) => r.ran);
  for (const r of ran) {
    expect({ name: r.name, startedAt: r.startedAt, finishedAt: r.finishedAt }).toEqual({ name: r.name, startedAt: expect.any(Number), finishedAt: expect.any(Number) });
  }
  // no two containers overlapped: sorted by start, each finished no later than the next started
  const sorted = ran.sort((x, y) => x.startedAt! - y.startedAt!);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.finishedAt!).toBeLessThanOrEqual(sorted[i]!.startedAt!);
  // and, in the API server's own order: every B pod was gone (DELETED) before any C pod existed
  for (const bRun of b) {
    expect(bRun.deleted).toEqual(expect.any(Number));
    for (const cRun of c) expect(cRun.added).toBeGreaterThan(bRun.deleted!);
  }
  // C's migration container started after it was set, B's started before
  for (const cRun of c.filter((r) => r.ran)) expect(cRun.startedAt!).toBeGreaterThanOrEqual(Math.floor(cAt / 1000) * 1000);
  expect(await columns()).toContain('ordered');

  const bRun = b.find((r) => r.name === running.value.object.metadata!.name)!;
  const cFirst = c.filter((r) => r.ran).sort((x, y) => x.startedAt! - y.startedAt!)[0]!;
  const outcome = bRun.exitCode === 0 ? 'finished (exit 0)' : `stopped (exit ${bRun.exitCode}, ${bRun.reason})`;
  table.push({
    scenario: `A->B->C, B sleeps ${ORDERING_SLEEP_SECONDS} s twice`,
    seconds: seconds(t0, ready.value.at),
    counts: `C set ${seconds(bRun.startedAt!, cAt)} s after B started; B ${outcome} ${seconds(cAt, bRun.finishedAt!)} s after C was set; ` +
      `C's container started ${seconds(bRun.finishedAt!, cFirst.startedAt!)} s after B's finished; ${b.length} B pod(s), ${c.length} C pod(s), ${[...b, ...c].length - ran.length} never started; C Ready ${seconds(cAt, ready.value.at)} s after set`,
  });
}));

/** The app's serving pods at exactly resourceVersion rv, from the API server (etcd at that revision). */
async function servingPodsAt(rv: number): Promise<V1Pod[]> {
  const list = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: `${COMPONENT_LABEL}=server`, resourceVersion: String(rv), resourceVersionMatch: 'Exact' });
  return list.items;
}

/** Pods of another release than `tag` at one instant: still in service (no deletion requested) or draining (deleted, terminating). */
function otherReleases(list: Iterable<V1Pod>, tag: string): { serving: string[]; draining: string[] } {
  const other = [...list].filter((p) => isServerPod(p) && p.metadata?.labels?.[VERSION_LABEL] !== tag
    && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  return {
    serving: other.filter((p) => !p.metadata?.deletionTimestamp).map((p) => `${p.metadata!.name} (${p.metadata!.labels![VERSION_LABEL]})`),
    draining: other.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!),
  };
}

test(`3. ${RELEASES} tag changes between migrated images: never Ready=True (current generation) while a pod of another release exists (serving or exiting); one RolloutComplete per release`, () => scenario('releases', async () => {
  const cycle = [TAG.a, TAG.b, TAG.c];
  const sequence = Array.from({ length: RELEASES }, (_, i) => cycle[i % cycle.length]!);
  const before = new Set((await kube.events(NS)).map((e) => e.metadata!.name!));
  const appFrom = apps.events.length;
  const podFrom = pods.events.length;
  const t0 = Date.now();
  const perRelease: number[] = [];
  // Every write of Ready=True for the current generation, judged from the API server's pods at
  // exactly that resourceVersion (checked as the run goes: etcd compacts old revisions after ~5 min).
  const violations: string[] = [];
  let checked = 0;
  let cursor = appFrom;
  const checkExact = async () => {
    for (; cursor < apps.events.length; cursor++) {
      const e = apps.events[cursor]!;
      if (e.type === 'DELETED' || !readyNow(e.object)) continue;
      const exact = otherReleases(await servingPodsAt(e.rv), e.object.spec.tag as string);
      if (exact.serving.length) violations.push(`rv ${e.rv} Ready=True on ${e.object.spec.tag} while serving: ${exact.serving.join(', ')}`);
      if (exact.draining.length) violations.push(`rv ${e.rv} Ready=True on ${e.object.spec.tag} while still exiting: ${exact.draining.join(', ')}`);
      checked++;
    }
  };
  for (const [i, tag] of sequence.entries()) {
    const started = Date.now();
    const generation = await setTag(tag);
    await untilReady(`Ready on ${tag} (release ${i + 1} of ${RELEASES})`, generation, appFrom);
    perRelease.push((Date.now() - started) / 1000);
    await checkExact();
  }
  const elapsed = seconds(t0, Date.now());
  const last = sequence[sequence.length - 1]!;

  // Proof the operator processed everything the rollouts caused: the last release's old pods are
  // gone, then a generation that changes no child (a higher Job history limit) is observed.
  await pods.until('no pod of an earlier release left', () => {
    const live = pods.objectsAt(pods.progress);
    return [...live.values()].every((p) => !isServerPod(p) || p.metadata?.labels?.[VERSION_LABEL] === last) || undefined;
  }, 120_000, podFrom);
  const quiet = await setTag(last, { migration: { jobsHistoryLimit: 4 } });
  await apps.until('the no-op generation observed', (e) => (e.object.status?.observedGeneration === quiet ? true : undefined), 60_000, appFrom);

  await checkExact();

  // The same instants judged from the pod watch replayed to each one's resourceVersion. An
  // annotation on a serving pod (no rollout) moves the pod watch past the last of them.
  const instants = apps.events.slice(appFrom).filter((e) => e.type !== 'DELETED' && readyNow(e.object));
  expect(instants.length).toBeGreaterThanOrEqual(RELEASES);
  const marker = (await kube.pods(NS, `${COMPONENT_LABEL}=server`))[0]!;
  const marked = await kube.objects.patch({ apiVersion: 'v1', kind: 'Pod', metadata: { name: marker.metadata!.name!, namespace: NS, annotations: { 'e2e.fastapiapp.io/progress': String(Date.now()) } } } as Obj,
    undefined, undefined, 'e2e-test', undefined, PatchStrategy.MergePatch);
  await pods.until('the pod watch past the marker', () => (pods.progress >= Number(marked.metadata!.resourceVersion) ? true : undefined), 60_000, podFrom);
  for (const e of instants) {
    const fromWatch = otherReleases(pods.objectsAt(e.rv).values(), e.object.spec.tag as string);
    if (fromWatch.serving.length) violations.push(`(pod watch) rv ${e.rv} Ready=True on ${e.object.spec.tag} while serving: ${fromWatch.serving.join(', ')}`);
    if (fromWatch.draining.length) violations.push(`(pod watch) rv ${e.rv} Ready=True on ${e.object.spec.tag} while still exiting: ${fromWatch.draining.join(', ')}`);
  }
  expect(violations).toEqual([]);

  // one RolloutComplete Event per release, in release order
  const complete = (await kube.events(NS))
    .filter((ev) => !before.has(ev.metadata!.name!) && ev.reason === 'RolloutComplete' && ev.involvedObject.name === APP)
    .sort((x, y) => String(x.firstTimestamp ?? x.eventTime).localeCompare(String(y.firstTimestamp ?? y.eventTime)));
  expect(complete.map((ev) => ev.count ?? 1)).toEqual(sequence.map(() => 1));
  complete.forEach((ev, i) => expect(ev.message).toMatch(new RegExp(`:${sequence[i]}(@|\\s)`)));

  const jobs = migrationRuns(podFrom).length;
  const sortedTimes = [...perRelease].sort((x, y) => x - y);
  table.push({
    scenario: `${RELEASES} releases cycling A, B, C (2 replicas)`,
    seconds: elapsed,
    counts: `${instants.length} Ready=True writes checked (${checked} at their exact resourceVersion), 0 with a pod of another release in service or still exiting; ` +
      `${complete.length} RolloutComplete Events; ${jobs} migration pod(s); per release median ${sortedTimes[Math.floor(RELEASES / 2)]} s, max ${sortedTimes[RELEASES - 1]} s`,
  });
}));

test('4. a tag that was never built: Degraded=True ImagePullFailed within 30 s, one Warning Event, the old release keeps serving', () => scenario('missing image', async () => {
  const from = apps.events.length;
  const servingTag = apps.events[from - 1]!.object.spec.tag as string;
  const t0 = Date.now();
  const generation = await setTag(MISSING_TAG);
  const { value } = await apps.until('Degraded=True ImagePullFailed', (e) => {
    const degraded = condition(e.object, 'Degraded');
    return degraded?.status === 'True' && degraded.reason === 'ImagePullFailed' && degraded.observedGeneration === generation ? e : undefined;
  }, 60_000, from);
  const took = seconds(t0, value.at);
  expect(took).toBeLessThanOrEqual(30);
  expect(condition(value.object, 'Degraded')!.message).toContain(MISSING_TAG);
  expect(condition(value.object, 'Ready')?.status).toBe('False');
  const warnings = (await kube.events(NS)).filter((ev) => ev.type === 'Warning' && ev.reason === 'ImagePullFailed' && ev.involvedObject.name === APP);
  expect(warnings).toHaveLength(1);
  const serving = (await kube.pods(NS, `${COMPONENT_LABEL}=server`)).filter((p) => !p.metadata?.deletionTimestamp);
  expect(serving.map((p) => p.metadata?.labels?.[VERSION_LABEL])).toEqual([servingTag, servingTag]);
  table.push({ scenario: 'missing image to Degraded=True ImagePullFailed', seconds: took, counts: `1 Warning Event; ${serving.length} pods still serving ${servingTag}` });
}));
