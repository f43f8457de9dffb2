// Monitoring on the real cluster, as on a cluster with kube-prometheus-stack: the real Prometheus
// Operator (built from its Go module, test/prometheus-operator) runs a Prometheus whose
// serviceMonitorSelector / ruleSelector select `release: kube-prometheus-stack`, the label the
// committed cdk8s/dist monitoring files and spec.monitoring.labels carry. Prometheus (built from its
// module with Kubernetes service discovery, by the same build.sh) and the config reloader run from
// FROM-scratch images. The test then reads what a user would: the targets, the rules and alerts,
// and every dashboard panel with its variables resolved.
// Only the `for:` of the alerts the scenarios wait on is shortened, and the scrape interval.
// Tests 8 and on (./delivery.ts) are the progressive-delivery scenarios on this Prometheus.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PatchStrategy } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../harness/cluster';
import type { PostgresCluster } from '../harness/postgres/cluster';
import { waitFor } from '../harness/wait';
import { requireRoot } from '../images/support/buildah';
import { buildAppImages, buildScratchImage } from '../e2e/support/images';
import { installCrds, installOperator, markedSecretLabels, OPERATOR_NS, secretReaderBinding, startBridgePostgres, yamlDocuments } from '../e2e/support/install';
import { condition, diagnose, Kube, type Obj } from '../e2e/support/kube';
import { trafficRound, type TrafficCounts } from '../monitoring/support/app-target';
import { substitute } from '../monitoring/support/promql';
import { dashboardQueries, loadDashboards, loadRules, variableQuery, type Dashboard } from '../monitoring/support/sources';
import { RELEASE_LABELS } from '../../cdk8s/charts/monitoring';
import { LEASE_NAME, METRICS_PORT } from '../../cdk8s/charts/operator';
import { withDefaults } from '../../operator/src/desired/defaults';
import { DELIVERY_APP, deliveryScenarios, deliveryVariants } from './delivery';

jest.setTimeout(40 * 60_000);

const GROUP = 'platform.fastapiapp.io/v1alpha1';
/** The metrics port of a spec that does not set monitoring.port (the schema's default). */
const DEFAULT_METRICS_PORT = withDefaults({ image: 'x', tag: 'y', databaseSecretRef: { name: 'z' } }).monitoring.port;
const NS = `e2e-mon-${process.pid}`;
const MON_NS = 'monitoring';
/** Two apps in one namespace: two jobs. */
const APPS = { items: 2, orders: 1 } as const;
const SCRAPE = '2s';
/** The alerts the scenarios wait for, with a `for:` short enough for a test (the rest keep theirs). */
const FOR_OVERRIDES: Record<string, string> = { FastApiAppTargetsAbsent: '6s', FastApiAppsNotReady: '6s' };
const SLO = { availability: { objective: '99' }, latency: { threshold: '2.5', objective: '99' } };
/** Fires all the time by design (the dead man's switch heartbeat). */
const HEARTBEAT = 'FastApiAppWatchdog';
/** Every this often, while test 2 waits for the operator's rate-based recording rules, its apps' Services are touched. */
const TOUCH_EVERY_MS = 2000;

const IMAGES = {
  repo: 'localhost/fastapiapp-mon-app',
  operatorImage: 'localhost/fastapiapp-mon-operator:e2e',
  variants: {
    v1: { tag: 'mon-v1' },
    badMigration: { tag: 'mon-bad-migration', migrations: { '004_broken': "exports.up = (knex) => knex.raw('alter table no_such_table add column x integer');\nexports.down = async () => {};\n" } },
    neverReady: { tag: 'mon-never-ready', cmd: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] },
    ...deliveryVariants(),
  },
};
/** The delivery app's SLO (./delivery.ts): strict, so its fast-burn page fires on the bad canary's share of the traffic. */
const DELIVERY_SLO = { availability: { objective: '99.99' } };
const PROMETHEUS_IMAGE = 'localhost/fastapiapp-mon-prometheus:e2e';
const RELOADER_IMAGE = 'localhost/fastapiapp-mon-config-reloader:e2e';
const PROM_OPERATOR_IMAGE = 'localhost/fastapiapp-mon-prometheus-operator:e2e';

let cluster: TestCluster | undefined;
let kube: Kube;
let pg: PostgresCluster | undefined;
let promUrl = '';
/** The Prometheus version the Prometheus resource declares (the operator generates flags for it). */
let prometheusVersion = '';
const timings: Record<string, number> = {};
const counts: TrafficCounts = {};
let stopTraffic = false;
let traffic: Promise<void> | undefined;
let trafficError: unknown;
/** App name -> its ClusterIP URL, for the apps that should be serving. */
const serving = new Map<string, string>();

interface Sample { metric: Record<string, string>; value: [number, string] }
interface Target { labels: Record<string, string>; health: string; lastError: string; scrapePool: string; scrapeUrl: string }
interface AlertState { labels: Record<string, string>; state: 'pending' | 'firing' }

async function promGet<T>(apiPath: string): Promise<T> {
  const res = await fetch(`${promUrl}${apiPath}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus ${apiPath}: ${body.error}`);
  return body.data;
}
const query = async (promql: string): Promise<Sample[]> =>
  (await promGet<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result
    .filter((s) => Number.isFinite(Number(s.value[1]))); // NaN (a quantile over nothing) is no data
const targets = async () => (await promGet<{ activeTargets: Target[] }>('/api/v1/targets?state=active')).activeTargets;
const alerts = async () => (await promGet<{ alerts: AlertState[] }>('/api/v1/alerts')).alerts;
const firing = async (name: string, labels: Record<string, string> = {}) => (await alerts())
  .filter((a) => a.labels.alertname === name && a.state === 'firing' && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

async function waitFiring(name: string, labels: Record<string, string> = {}, timeoutMs = 180_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(`${name} ${JSON.stringify(labels)} firing`, async () => ((await firing(name, labels)).length > 0 || undefined), timeoutMs, 1000);
  return (Date.now() - t0) / 1000;
}

async function promDiagnostics(): Promise<string> {
  const parts: string[] = [];
  const safe = async (what: string, fn: () => Promise<string>) => {
    try { parts.push(`--- ${what}\n${await fn()}`); } catch (err) { parts.push(`--- ${what}: ${String(err)}`); }
  };
  await safe('Prometheus targets', async () => (await targets()).map((t) => `${t.scrapePool} ${JSON.stringify(t.labels)} ${t.health} ${t.lastError}`).join('\n'));
  await safe('Prometheus alerts', async () => JSON.stringify(await alerts()));
  for (const ns of [MON_NS]) {
    for (const pod of await kube.pods(ns).catch(() => [])) {
      for (const c of pod.spec?.containers ?? []) await safe(`log of ${ns}/${pod.metadata?.name}/${c.name}`, () => kube.logs(ns, pod.metadata!.name!, c.name));
    }
  }
  return parts.join('\n');
}

/** Runs a scenario; on failure prints what a person would look at, then fails. */
async function scenario<T>(name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const app = Object.keys(APPS)[0]!;
    process.stderr.write(`\n===== ${name} failed: ${(err as Error).message}\n${await diagnose(kube, NS, app, OPERATOR_NS)}\n${await promDiagnostics()}\n`);
    throw err;
  }
}

const fastApiApp = (name: string, replicas: number, tag: string): Obj => ({
  apiVersion: GROUP, kind: 'FastApiApp', metadata: { name, namespace: NS },
  spec: {
    image: IMAGES.repo, tag, replicas, databaseSecretRef: { name: 'database', key: `url-${name}` },
    migration: { backoffLimit: 0 },
    // As deploy/fastapiapp.yaml: the label kube-prometheus-stack's serviceMonitorSelector matches.
    monitoring: { interval: SCRAPE, labels: { ...RELEASE_LABELS } },
    // The operator's PrometheusRule carries the same labels, so the ruleSelector picks it up. Loose
    // objectives: healthy apps under the test's traffic must not burn them.
    slo: SLO,
  },
} as Obj);

const mergePatch = (name: string, spec: Record<string, unknown>) => kube.objects.patch(
  { apiVersion: GROUP, kind: 'FastApiApp', metadata: { name, namespace: NS }, spec } as Obj, undefined, undefined, 'e2e-deploy', undefined, PatchStrategy.MergePatch);

async function waitReady(name: string, timeoutMs = 240_000): Promise<void> {
  await waitFor(`FastApiApp ${name} Ready`, async () => {
    const app = await kube.get(GROUP, 'FastApiApp', NS, name);
    const ready = condition(app, 'Ready');
    return (ready?.status === 'True' && ready.observedGeneration === app?.metadata?.generation) || undefined;
  }, timeoutMs, 500);
}

/** The Prometheus Operator as its module's example install (example/rbac) deploys it, in `monitoring`. */
function prometheusOperatorInstall(dir: string): Obj[] {
  const docs = ['prometheus-operator-service-account.yaml', 'prometheus-operator-cluster-role.yaml', 'prometheus-operator-cluster-role-binding.yaml',
    'prometheus-operator-deployment.yaml'].flatMap((f) => yamlDocuments(path.join(dir, 'rbac/prometheus-operator', f)));
  for (const o of docs) {
    if (o.metadata?.namespace) o.metadata.namespace = MON_NS;
    if (o.kind === 'ClusterRoleBinding') for (const s of (o as Obj & { subjects: { namespace?: string }[] }).subjects) s.namespace = MON_NS;
    if (o.kind === 'Deployment') {
      const c = o.spec.template.spec.containers[0];
      c.image = PROM_OPERATOR_IMAGE;
      // No kubelet Service (nothing scrapes kubelets here); the reloader image is ours.
      c.args = [`--prometheus-config-reloader=${RELOADER_IMAGE}`, '--log-level=info'];
    }
  }
  return docs;
}

/** What kube-prometheus-stack's values give a Prometheus: select ServiceMonitors and rules by `release`, in every namespace. */
function prometheusResources(dir: string, version: string): Obj[] {
  const rbac = ['prometheus-service-account.yaml', 'prometheus-cluster-role.yaml', 'prometheus-cluster-role-binding.yaml']
    .flatMap((f) => yamlDocuments(path.join(dir, 'rbac/prometheus', f)));
  for (const o of rbac) {
    if (o.kind === 'ServiceAccount') o.metadata!.namespace = MON_NS;
    if (o.kind === 'ClusterRoleBinding') for (const s of (o as Obj & { subjects: { namespace?: string }[] }).subjects) s.namespace = MON_NS;
  }
  return [...rbac, {
    apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: { name: 'kube-prometheus-stack-prometheus', namespace: MON_NS },
    spec: {
      image: PROMETHEUS_IMAGE, version: `v${version}`, replicas: 1, serviceAccountName: 'prometheus',
      serviceMonitorSelector: { matchLabels: { ...RELEASE_LABELS } }, serviceMonitorNamespaceSelector: {},
      ruleSelector: { matchLabels: { ...RELEASE_LABELS } }, ruleNamespaceSelector: {},
      scrapeInterval: SCRAPE, evaluationInterval: SCRAPE,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 },
    },
  } as Obj];
}

/** cdk8s/dist/monitoring.yaml with the scenario alerts' `for:` shortened; cdk8s/dist/operator-servicemonitor.yaml scraping every SCRAPE. */
function monitoringManifests(): Obj[] {
  const rules = yamlDocuments('cdk8s/dist/monitoring.yaml');
  for (const r of rules) {
    for (const g of r.spec.groups) for (const rule of g.rules) if (FOR_OVERRIDES[rule.alert]) rule.for = FOR_OVERRIDES[rule.alert];
  }
  const sm = yamlDocuments('cdk8s/dist/operator-servicemonitor.yaml');
  for (const o of sm) for (const e of o.spec.endpoints) e.interval = SCRAPE;
  return [...rules, ...sm];
}

beforeAll(async () => {
  requireRoot();
  const t0 = Date.now();
  const operatorDir = execFileSync('bash', [path.resolve(__dirname, '../prometheus-operator/build.sh')], { encoding: 'utf8' }).trim();
  timings.prometheusOperatorBuildSeconds = (Date.now() - t0) / 1000;
  // Prometheus with Kubernetes service discovery, from build.sh (Debian's /usr/bin/prometheus has none,
  // and every config the operator generates uses kubernetes_sd_configs); the variable overrides it.
  const prometheusBinary = process.env.FASTAPIAPP_PROMETHEUS_BINARY || path.join(operatorDir, 'prometheus');
  prometheusVersion = /version (\d+\.\d+\.\d+)/.exec(execFileSync(prometheusBinary, ['--version'], { encoding: 'utf8' }))![1]!;
  const t1 = Date.now();
  const images = await buildAppImages(IMAGES);
  await buildScratchImage(PROMETHEUS_IMAGE, prometheusBinary);
  await buildScratchImage(RELOADER_IMAGE, path.join(operatorDir, 'prometheus-config-reloader'));
  await buildScratchImage(PROM_OPERATOR_IMAGE, path.join(operatorDir, 'operator'));
  timings.buildImagesSeconds = (Date.now() - t1) / 1000;

  const t2 = Date.now();
  cluster = await startTestCluster(); // waits for the lock while another suite's cluster runs
  timings.clusterWaitAndStartSeconds = (Date.now() - t2) / 1000;
  kube = new Kube(cluster.kubeConfig());
  const info = cluster.info;
  const t3 = Date.now();
  await cluster.loadImages([images.operator, ...Object.values(images.app), PROMETHEUS_IMAGE, RELOADER_IMAGE, PROM_OPERATOR_IMAGE]);
  timings.loadImagesSeconds = (Date.now() - t3) / 1000;

  pg = await startBridgePostgres(info, [...Object.keys(APPS), DELIVERY_APP]);
  // The Prometheus Operator's CRDs first (as kube-prometheus-stack installs them), so our operator
  // finds the ServiceMonitor CRD from its start.
  await installCrds(info, yamlFilesIn(path.join(operatorDir, 'crds')));
  await kube.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: MON_NS } }]);
  await kube.apply(prometheusOperatorInstall(operatorDir));
  // The operator's PROMETHEUS_URL (the canary analysis): a ClusterIP Service in front of the Prometheus
  // pods (there is no cluster DNS here to resolve prometheus-operated.monitoring.svc).
  const [promSvc] = await kube.apply([{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'prometheus-api', namespace: MON_NS },
    spec: { selector: { 'app.kubernetes.io/name': 'prometheus' }, ports: [{ name: 'web', port: 9090, targetPort: 9090 }] } } as Obj]);
  await installOperator(kube, info, images.operator, { PROMETHEUS_URL: `http://${promSvc!.spec.clusterIP}:9090` });
  await kube.apply(monitoringManifests());

  await kube.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'database', namespace: NS, labels: markedSecretLabels },
      stringData: Object.fromEntries([...Object.keys(APPS), DELIVERY_APP].map((a) => [`url-${a}`, pg!.urlVia(info.bridgeIp, a)])) } as Obj,
    secretReaderBinding(NS),
  ]);
  const t4 = Date.now();
  await kube.apply(Object.entries(APPS).map(([name, replicas]) => fastApiApp(name, replicas, IMAGES.variants.v1.tag)));
  for (const name of Object.keys(APPS)) await waitReady(name);
  timings.appsReadySeconds = (Date.now() - t4) / 1000;

  const t5 = Date.now();
  await kube.apply(prometheusResources(operatorDir, prometheusVersion));
  const podIp = await waitFor('the Prometheus pod Ready', async () => {
    const pods = await kube.pods(MON_NS, 'app.kubernetes.io/name=prometheus');
    const ready = pods.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready?.status?.podIP;
  }, 180_000, 500);
  promUrl = `http://${podIp}:9090`; // the pod's address on the test bridge
  timings.prometheusReadySeconds = (Date.now() - t5) / 1000;

  // Users' traffic on both apps through their ClusterIPs, bounded, until the suite ends.
  for (const name of Object.keys(APPS)) {
    const svc = await kube.get('v1', 'Service', NS, name);
    serving.set(name, `http://${svc!.spec.clusterIP}:${svc!.spec.ports[0].port}`);
  }
  traffic = (async () => {
    for (let round = 0; !stopTraffic && round < 2000; round++) {
      for (const url of [...serving.values()]) await trafficRound(url, counts).catch((err) => { trafficError ??= err; });
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
}, 40 * 60_000);

const yamlFilesIn = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(dir, f));

afterAll(async () => {
  stopTraffic = true;
  await traffic;
  const c = cluster;
  cluster = undefined;
  if (c) timings.teardownSeconds = await c.stop().catch(() => -1);
  await pg?.destroy();
  process.stderr.write(`\ne2e-monitoring timings: ${JSON.stringify(timings)}\ne2e-monitoring traffic: ${JSON.stringify(counts)}\n`);
});

test('1. targets: every app pod (one job per FastApiApp, two in one namespace) and both operator pods are up, with the labels the rules use', () => scenario('targets', async () => {
  const t0 = Date.now();
  const expected = async () => {
    const want = new Map<string, string[]>([
      ...Object.keys(APPS).map((a) => [`${NS}/${a}`, []] as [string, string[]]),
      [`${OPERATOR_NS}/fastapiapp-operator`, []],
    ]);
    for (const name of Object.keys(APPS)) {
      want.set(`${NS}/${name}`, (await kube.pods(NS, `app.kubernetes.io/instance=${name},app.kubernetes.io/component=server`)).map((p) => p.metadata!.name!).sort());
    }
    want.set(`${OPERATOR_NS}/fastapiapp-operator`, (await kube.pods(OPERATOR_NS, 'app.kubernetes.io/name=fastapiapp-operator')).map((p) => p.metadata!.name!).sort());
    return want;
  };
  const up = await waitFor('every app and operator pod an up target', async () => {
    const want = await expected();
    const got = new Map<string, string[]>();
    for (const t of (await targets()).filter((x) => x.health === 'up')) {
      const key = `${t.labels.namespace}/${t.labels.job}`;
      if (want.has(key)) got.set(key, [...(got.get(key) ?? []), t.labels.pod!].sort());
    }
    const ok = [...want].every(([k, pods]) => pods.length > 0 && JSON.stringify(got.get(k)) === JSON.stringify(pods));
    return ok ? { want, got } : undefined;
  }, 180_000, 1000);
  timings.targetsUpSeconds = (Date.now() - t0) / 1000 + timings.prometheusReadySeconds!;
  expect(up.want.get(`${NS}/items`)).toHaveLength(APPS.items);
  expect(up.want.get(`${NS}/orders`)).toHaveLength(APPS.orders);
  expect(up.want.get(`${OPERATOR_NS}/fastapiapp-operator`)).toHaveLength(2);
  // The rules select app series by this label (ServiceMonitor targetLabels) and aggregate by namespace/job.
  const appTargets = (await targets()).filter((t) => t.labels.namespace === NS);
  for (const t of appTargets) expect(t.labels).toMatchObject({ app_kubernetes_io_name: 'fastapiapp', namespace: NS, job: expect.stringMatching(/^(items|orders)$/), pod: expect.any(String) });
  // Scraped on each pod's metrics port (METRICS_PORT), which the app's Service does not expose; its public port has no /metrics.
  for (const t of appTargets.filter((x) => x.health === 'up')) expect(new URL(t.scrapeUrl).port).toBe(String(DEFAULT_METRICS_PORT));
  for (const name of Object.keys(APPS)) {
    const svc = await kube.get('v1', 'Service', NS, name);
    expect(svc!.spec.ports.map((p: { name: string }) => p.name)).toEqual(['http']);
  }
  // podTargetLabels: the pod's version on every series, for per-version SLIs
  for (const t of appTargets) expect(t.labels.app_kubernetes_io_version).toBe(IMAGES.variants.v1.tag);
  const jobs = await query(`count by (job) (up{namespace="${NS}", app_kubernetes_io_name="fastapiapp"} == 1)`);
  expect(Object.fromEntries(jobs.map((s) => [s.metric.job, Number(s.value[1])]))).toEqual(APPS);
}));

test('2. rules: every PrometheusRule group loads, every recording rule records series from the real pods, and no alert fires on healthy apps', () => scenario('rules', async () => {
  const groups = (await promGet<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules')).groups;
  // The committed rules, and each app's spec.slo PrometheusRule (owned by its FastApiApp)
  const wanted = [...yamlDocuments('cdk8s/dist/monitoring.yaml').flatMap((r) => r.spec.groups.map((g: { name: string }) => g.name)),
    ...Object.keys(APPS).flatMap(() => ['fastapiapp-slo.recording', 'fastapiapp-slo.alerts'])].sort();
  for (const name of Object.keys(APPS)) {
    const rule = await kube.get('monitoring.coreos.com/v1', 'PrometheusRule', NS, name);
    expect(rule?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'FastApiApp', name });
  }
  expect(groups.map((g) => g.name).sort()).toEqual(wanted);
  await waitFor('every rule evaluated healthy', async () => {
    const gs = (await promGet<{ groups: { rules: { name: string; health: string }[] }[] }>('/api/v1/rules')).groups;
    return gs.every((g) => g.rules.every((r) => r.health === 'ok')) || undefined;
  }, 60_000, 1000);
  const bad = groups.flatMap((g) => g.rules.filter((r) => r.lastError).map((r) => `${r.name}: ${r.lastError}`));
  expect(bad).toEqual([]);

  // The operator reconciled its apps before Prometheus's first scrape and would not again until the
  // next resync: flat counters give its rate-based rules (error ratio over reconciles > 0, the
  // reconcile-time and queue-wait quantiles) nothing to record. Touching each app's Service (a child
  // changed: the operator reconciles its app; nothing about the app changes) makes it reconcile
  // while Prometheus watches, as an operator at work does.
  const records = loadRules().filter((r) => r.record).map((r) => r.record as string);
  const missingRecords = async () => {
    const missing: string[] = [];
    for (const r of records) if ((await query(r)).length === 0) missing.push(r);
    return missing;
  };
  const reconcilesBefore = await reconcileCount();
  let touching = true;
  const touches = (async () => {
    for (let n = 0; touching; n++) {
      for (const name of Object.keys(APPS)) await touchService(name, n);
      await new Promise((r) => setTimeout(r, TOUCH_EVERY_MS));
    }
  })();
  const t0 = Date.now();
  const empty = await waitFor('every recording rule to have series', async () => ((await missingRecords()).length === 0 ? [] : undefined), 120_000, 2000)
    .catch(missingRecords)
    .finally(async () => { touching = false; await touches; });
  expect(empty).toEqual([]);
  timings.recordingRulesSeconds = (Date.now() - t0) / 1000;
  // The series came from reconciles Prometheus saw happen (it scraped the counter rising).
  expect(await reconcileCount()).toBeGreaterThan(reconcilesBefore);
  // Per app: both jobs have their own request rate.
  expect((await query(`job:http_requests:rate5m{namespace="${NS}"}`)).map((s) => s.metric.job).sort()).toEqual(Object.keys(APPS).sort());
  // The SLO records of each app, per version from the real pods' labels
  expect((await query(`app:http_request_errors:ratio_rate5m{namespace="${NS}"}`)).map((s) => s.metric.job).sort()).toEqual(Object.keys(APPS).sort());
  expect((await query(`app_version:http_requests:rate5m{namespace="${NS}"}`)).map((s) => `${s.metric.job} ${s.metric.app_kubernetes_io_version}`).sort())
    .toEqual(Object.keys(APPS).sort().map((a) => `${a} ${IMAGES.variants.v1.tag}`));

  // Healthy: none of the alerts is firing, and none of those with a shortened `for:` is even pending
  // (a start-up FastApiAppsNotReady clears once the apps are Ready).
  expect(await firing(HEARTBEAT)).toHaveLength(1);
  const quiet = await waitFor('no alert firing on healthy apps', async () => {
    const all = (await alerts()).filter((a) => a.labels.alertname !== HEARTBEAT);
    return all.every((a) => a.state !== 'firing' && !FOR_OVERRIDES[a.labels.alertname!]) ? all : undefined;
  }, 60_000, 1000).catch(async () => (await alerts()).filter((a) => a.labels.alertname !== HEARTBEAT));
  expect(quiet.filter((a) => a.state === 'firing' || FOR_OVERRIDES[a.labels.alertname!]).map((a) => `${a.labels.alertname} ${a.state}`)).toEqual([]);
}));

/** Annotates an app's Service: a change to a child the operator watches, so it reconciles that app (and leaves the annotation alone). */
const touchService = (name: string, n: number) => kube.objects.patch(
  { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS, annotations: { 'e2e.fastapiapp.io/touched': String(n) } } } as Obj,
  undefined, undefined, 'e2e-touch', undefined, PatchStrategy.MergePatch);

/** The fastapiapp controller's reconciles as Prometheus last scraped them, summed over the operator pods. */
const reconcileCount = async () => Number((await query('sum(controller_runtime_reconcile_total{job="fastapiapp-operator", controller="fastapiapp"})'))[0]?.value[1] ?? 0);

test('3. a failed migration: FastApiAppMigrationFailed fires; the app then not being Ready fires FastApiAppsNotReady', () => scenario('failed migration', async () => {
  await mergePatch('items', { tag: IMAGES.variants.badMigration.tag });
  timings.migrationFailedAlertSeconds = await waitFiring('FastApiAppMigrationFailed', { job: 'fastapiapp-operator' });
  timings.notReadyAlertSeconds = await waitFiring('FastApiAppsNotReady');
  expect(condition(await kube.get(GROUP, 'FastApiApp', NS, 'items'), 'Degraded')?.reason).toBe('MigrationFailed');
  await mergePatch('items', { tag: IMAGES.variants.v1.tag });
  await waitReady('items');
}));

test('4. dashboards: every panel of both dashboards, with $namespace/$job/$instance resolved by their label_values queries, returns data', () => scenario('dashboards', async () => {
  // The operator's leader is the replica that reconciles (a standby has no reconcile latency to show).
  const lease = await kube.get('coordination.k8s.io/v1', 'Lease', OPERATOR_NS, LEASE_NAME);
  const leader = (await kube.pods(OPERATOR_NS, 'app.kubernetes.io/name=fastapiapp-operator')).find((p) => p.metadata?.name === lease?.spec?.holderIdentity);
  expect(leader?.status?.podIP).toBeTruthy();
  const want: Record<string, Record<string, string>> = {
    'fastapiapp-service': { namespace: NS, job: 'items' },
    'fastapiapp-operator': { namespace: OPERATOR_NS, job: 'fastapiapp-operator', instance: `${leader!.status!.podIP}:${METRICS_PORT}`, controller: 'fastapiapp' },
  };
  const failures: string[] = [];
  for (const { dashboard } of loadDashboards()) {
    // slo_window is a custom variable (a list of ranges): 2m, as $__range stands for
    const vars = { ...(await resolveVariables(dashboard, want[dashboard.uid] ?? {})), slo_window: '2m' };
    const queries = dashboardQueries(dashboard).map((q) => ({ name: `${dashboard.uid} / ${q.panel} / ${q.refId}`, promql: substitute(q.expr, { vars, window: '2m' }) }));
    const empty = await waitFor(`${dashboard.uid} panels with data`, async () => {
      const none: string[] = [];
      for (const q of queries) if ((await query(q.promql)).length === 0) none.push(`${q.name}: ${q.promql}`);
      return none.length === 0 ? none : undefined;
    }, 90_000, 3000).catch(async () => {
      const none: string[] = [];
      for (const q of queries) if ((await query(q.promql)).length === 0) none.push(`${q.name}: ${q.promql}`);
      return none;
    });
    failures.push(...empty);
  }
  expect(failures).toEqual([]);
}));

/**
 * Grafana's way: each query variable's label_values(selector, label) in order, each selector with
 * the variables before it substituted, its value chosen from what Prometheus answers (the wanted
 * one where given, which must be among them, else the first).
 */
async function resolveVariables(d: Dashboard, wanted: Record<string, string>): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  for (const v of d.templating.list) {
    const q = variableQuery(v);
    if (!q) continue;
    const m = /^label_values\((?:(.*),\s*)?(\w+)\)$/.exec(q);
    if (!m) throw new Error(`${d.uid} $${v.name}: not a label_values query: ${q}`);
    const match = m[1] ? `&match[]=${encodeURIComponent(substitute(m[1], { vars, window: '2m' }))}` : '';
    const values = await promGet<string[]>(`/api/v1/label/${m[2]}/values?start=${Date.now() / 1000 - 600}${match}`);
    const pick = wanted[v.name] ?? values[0];
    expect({ variable: `${d.uid} $${v.name}`, values: values.includes(pick as string) }).toEqual({ variable: `${d.uid} $${v.name}`, values: true });
    vars[v.name] = pick as string;
  }
  return vars;
}

test('5. a stuck rollout (short progressDeadlineSeconds): FastApiAppRolloutStuck and FastApiAppsNotReady fire', () => scenario('stuck rollout', async () => {
  await mergePatch('items', { tag: IMAGES.variants.neverReady.tag, progressDeadlineSeconds: 15 });
  timings.rolloutStuckAlertSeconds = await waitFiring('FastApiAppRolloutStuck');
  await waitFiring('FastApiAppsNotReady');
  // The old pods still serve: the app keeps targets up, so it is not reported absent.
  expect(await firing('FastApiAppTargetsAbsent', { namespace: NS, job: 'items' })).toEqual([]);
}));

test('6. the app\'s pods gone (scaled to 0): FastApiAppTargetsAbsent fires for that job only', () => scenario('pods gone', async () => {
  serving.delete('orders');
  await new Promise((r) => setTimeout(r, 2000)); // a traffic round under way finishes
  await mergePatch('orders', { replicas: 0 });
  await waitFor('orders without pods', async () => (await kube.pods(NS, 'app.kubernetes.io/instance=orders,app.kubernetes.io/component=server')).length === 0 || undefined, 120_000, 1000);
  timings.targetsAbsentAlertSeconds = await waitFiring('FastApiAppTargetsAbsent', { namespace: NS, job: 'orders' });
  expect(await firing('FastApiAppTargetsAbsent', { namespace: NS, job: 'items' })).toEqual([]);
}));

test('7. the users\' traffic was served while monitoring watched', () => {
  expect(trafficError).toBeUndefined();
  expect(counts[201]).toBeGreaterThan(0);
  expect(counts[200]).toBeGreaterThan(0);
});

deliveryScenarios(8, () => ({
  kube, kc: cluster!.kubeConfig(), namespace: NS, repo: IMAGES.repo,
  databaseUrl: pg!.url.replace(/\/postgres$/, `/${DELIVERY_APP}`),
  query, firingAlerts: firing,
  diagnose: async () => `${await diagnose(kube, NS, DELIVERY_APP, OPERATOR_NS)}\n${await promDiagnostics()}`,
}), () => ({ monitoring: { interval: SCRAPE, labels: { ...RELEASE_LABELS } }, slo: DELIVERY_SLO }));
