// `npm run bench:operator` — the operator against a real API server (a control plane of its own,
// started like `npm run envtest -- up`). Not a test: it prints a table.
//
//   1. create N FastApiApps (migrations disabled for half; for the others this script plays the
//      Job controller and marks each migration Job succeeded through the status subresource)
//   2. time until every child exists (Service, ServiceMonitor, Deployment, and the Job if migrating)
//   3. API requests per converged app and per reconcile, by verb and by verb and kind (from the
//      operator's own rest_client_requests_total), and operator CPU ms per app
//   4. a sidecar injector (its own field manager) adds a container, an env var and a volume to
//      every Deployment; then write requests during a steady-state window (default 60 s;
//      includes a full resync): the injection must not make the operator write anything
//   5. operator RSS at N and 2N FastApiApps, and at --big (default 5000, 0 skips) apps
//   6. 20 successive tag changes of one app (migrating): how many migration Jobs are left
//
// Environment: BENCH_OPERATOR_NODE_FLAGS (extra node flags for the operator), BENCH_OPERATOR_LOG, BENCH_LOG_LEVEL.
// Flags: --apps=500  --steady-seconds=60  --concurrency=16  --big=5000  --tag-changes=20
// Targets: N=500 converge <= 8 s; 0 GETs per app; zero steady-state writes; RSS at 1000 <= 100 MB; Jobs left <= jobsHistoryLimit (3).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../harness/free-port.cjs';
import { metricSum, parseMetrics } from '../harness/metrics.cjs';
import { numberFlags } from './flags.mjs';
import sidecar from '../operator/support/sidecar-injector.cjs';
import { operatorCommand, startBenchControlPlane, waitReady } from './control-plane.mjs';
import { cpuSeconds, rssMiB } from './proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { KubeClient } = await import(path.join(root, 'dist/operator/src/kube/client.js'));
const R = await import(path.join(root, 'dist/operator/src/kube/resources.js'));
const { Informer } = await import(path.join(root, 'dist/operator/src/runtime/informer.js'));
const { injectSidecar } = sidecar;
const MANAGED_BY = 'app.kubernetes.io/managed-by=fastapiapp-operator';

const { apps: APPS, 'steady-seconds': STEADY_S, concurrency: CONCURRENCY, big: BIG, 'tag-changes': TAG_CHANGES } =
  numberFlags({ apps: 500, 'steady-seconds': 60, concurrency: 16, big: 5000, 'tag-changes': 20 });
const HISTORY_LIMIT = 3; // spec.migration.jobsHistoryLimit's default
const RESYNC_S = Math.max(5, Math.min(30, Math.floor(STEADY_S / 2))); // a full resync falls inside the window
const NS = 'bench';
const LOG_FILE = process.env.BENCH_OPERATOR_LOG ?? '/tmp/operator-bench.log'; // the operator's JSON logs
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

function startOperator(kubeconfig, port) {
  const logFile = fs.openSync(LOG_FILE, 'w');
  // BENCH_OPERATOR_NODE_FLAGS adds node flags for a look inside, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof
  const extra = (process.env.BENCH_OPERATOR_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, ...operatorCommand()], {
    stdio: ['ignore', logFile, 'inherit'],
    env: {
      ...process.env, KUBECONFIG: kubeconfig, WATCH_NAMESPACES: NS, LEADER_ELECT: 'false', METRICS_ADDR: `127.0.0.1:${port}`,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', RESYNC_PERIOD_SECONDS: String(RESYNC_S),
    },
  });
  return child;
}

async function metrics(port) {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const samples = parseMetrics(body);
  const gauge = (name) => (samples.find((s) => s.name === name)?.value ?? NaN) / 2 ** 20;
  const byVerb = {};
  for (const s of samples.filter((x) => x.name === 'rest_client_requests_total')) {
    const key = `${s.labels.verb} ${s.labels.resource}`;
    byVerb[key] = (byVerb[key] ?? 0) + s.value;
  }
  const reconciles = metricSum(body, 'controller_runtime_reconcile_total');
  return { byVerb, reconciles, heapUsedMb: gauge('nodejs_heap_size_used_bytes'), heapTotalMb: gauge('nodejs_heap_size_total_bytes'), externalMb: gauge('nodejs_external_memory_bytes') };
}

const WRITES = new Set(['create', 'apply', 'patch', 'update', 'delete']);
const writes = (byVerb) => Object.entries(byVerb).filter(([k]) => WRITES.has(k.split(' ')[0])).reduce((n, [, v]) => n + v, 0);
const diff = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]).filter(([, v]) => v > 0));

/** The highest RSS over `ms` (sampled every 100 ms): a single sample depends on where the GC cycle is. */
async function peakRssMb(pid, ms) {
  let peak = 0;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) peak = Math.max(peak, rssMiB(pid));
  return peak;
}

/** The pids of a process's descendants, by command name (the control plane's kube-apiserver and etcd). */
function descendants(pid) {
  const parent = new Map();
  const comm = new Map();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      comm.set(Number(d), /\((.*)\)/.exec(stat)[1]);
      parent.set(Number(d), Number(stat.replace(/^.*\) /, '').split(' ')[1]));
    } catch { /* exited meanwhile */ }
  }
  const isBelow = (p) => { for (let q = parent.get(p); q; q = parent.get(q)) if (q === pid) return true; return false; };
  return Object.fromEntries([...comm].filter(([p]) => isBelow(p)).map(([p, c]) => [c, p]));
}

async function pool(items, n, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (i < items.length) await fn(items[i++]); }));
}

/** Apps app-0000.. ; even numbers migrate (unless noMigrations). */
async function createApps(client, from, to, { noMigrations = false } = {}) {
  const names = Array.from({ length: to - from }, (_, k) => `app-${String(from + k).padStart(4, '0')}`);
  await pool(names, CONCURRENCY, (name) => client.create(R.FASTAPIAPPS, {
    metadata: { name, namespace: NS },
    spec: {
      image: 'registry.example/items', tag: 'v1', databaseSecretRef: { name: 'db' }, replicas: 1,
      migration: { enabled: !noMigrations && migrates(name) },
    },
  }));
  return names;
}
const migrates = (name) => Number(name.slice(4)) % 2 === 0 && Number(name.slice(4)) < 2 * APPS;

/** A sidecar injector on every Deployment (test/operator/support/sidecar-injector.cjs). */
async function injectSidecars(client, deployments) {
  await pool(deployments, CONCURRENCY, (d) => injectSidecar(client, d));
}

/** Changes one app's tag `n` times, each time waiting until its Deployment runs the new tag (Jobs completed by completeJobs). */
async function successiveTagChanges(client, w, name, n) {
  const started = Date.now();
  for (let i = 2; i <= n + 1; i++) {
    await client.transport.request({
      verb: 'patch', resource: 'fastapiapps', method: 'PATCH', contentType: 'application/merge-patch+json',
      path: R.resourcePath(R.FASTAPIAPPS, NS, name), body: { spec: { tag: `v${i}` } },
    });
    const want = `registry.example/items:v${i}`;
    for (let t = 0; ; t++) {
      const d = w.deployments.get(NS, name);
      if (d?.spec?.template?.spec?.containers?.[0]?.image === want) break;
      if (t > 600) throw new Error(`${name} did not roll out ${want} in 60 s`);
      await sleep(100);
    }
  }
  await sleep(2000); // the history limit is applied on the pass after the last success
  const jobs = (await client.list(R.JOBS, NS)).items.filter((j) => j.metadata.ownerReferences?.[0]?.name === name);
  return { jobs: jobs.length, ms: Date.now() - started };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };

/** Watches (the operator's own informer) on the children, so checking convergence costs the API server nothing. */
function watchChildren(client) {
  const make = (resource) => new Informer(client, { resource, namespace: NS, labelSelector: MANAGED_BY }, quiet);
  const w = { deployments: make(R.DEPLOYMENTS), services: make(R.SERVICES), serviceMonitors: make(R.SERVICEMONITORS), jobs: make(R.JOBS) };
  for (const i of Object.values(w)) i.start();
  return w;
}

/** Plays the Job controller: every new migration Job is marked succeeded through the status subresource. */
function completeJobs(client, jobs) {
  const marked = new Set();
  const complete = async (j) => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cond = (type) => ({ type, status: 'True', reason: 'CompletionsReached', message: 'done', lastProbeTime: now, lastTransitionTime: now });
    for (let attempt = 1; ; attempt++) {
      try {
        await client.transport.request({
          verb: 'patch', resource: 'jobs/status', method: 'PATCH', contentType: 'application/merge-patch+json',
          path: R.resourcePath(R.JOBS, NS, j.metadata.name, 'status'),
          body: { status: { startTime: now, completionTime: now, succeeded: 1, active: 0, ready: 0, terminating: 0, uncountedTerminatedPods: {}, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] } },
        });
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(200 * attempt);
      }
    }
  };
  jobs.on({
    upsert: (j) => {
      if (marked.has(j.metadata.name) || j.status?.conditions?.length) return;
      marked.add(j.metadata.name);
      complete(j).catch((err) => log(`could not complete Job ${j.metadata.name}: ${err.message}`));
    },
  });
}

/** Apps (of `names`) whose children all exist. */
function converged(w, names) {
  const owners = (inf) => new Set(inf.list().map((o) => o.metadata.ownerReferences?.[0]?.name));
  const [deps, svcs, sms, jobs] = [w.deployments, w.services, w.serviceMonitors, w.jobs].map(owners);
  return names.filter((n) => deps.has(n) && svcs.has(n) && sms.has(n) && (!migrates(n) || jobs.has(n))).length;
}

async function waitConverged(w, names, label) {
  const started = Date.now();
  let last = -1;
  for (;;) {
    const n = converged(w, names);
    if (n !== last) { log(`${label}: ${n}/${names.length} converged after ${((Date.now() - started) / 1000).toFixed(1)} s`); last = n; }
    if (n === names.length) return Date.now() - started;
    if (Date.now() - started > 600_000) throw new Error(`${label}: not converged after 600 s`);
    await sleep(100);
  }
}

const plane = await startBenchControlPlane();
const processes = [];
const cleanup = () => { for (const c of processes) c.kill('SIGKILL'); };
process.on('exit', cleanup);
process.on('uncaughtException', (err) => { console.error(err); process.exit(1); });
process.on('unhandledRejection', (err) => { console.error(err); process.exit(1); });
log(`control plane up (${plane.kubeconfig})`);
const kc = new KubeConfig();
kc.loadFromFile(plane.kubeconfig);
const client = new KubeClient(kc);
await client.create({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, { metadata: { name: NS } });
// the apps' database Secret (the operator starts nothing for an app whose Secret is missing)
await client.create(R.SECRETS, { metadata: { name: 'db', namespace: NS, labels: { 'platform.fastapiapp.io/secret': 'true' } }, data: { DATABASE_URL: Buffer.from('postgres://app:pw@db/items').toString('base64') } });

const port = await freePort();
const op = startOperator(plane.kubeconfig, port);
processes.push(op, plane.child);
const opExit = new Promise((r) => op.once('exit', (code, signal) => r({ code, signal })));
await waitReady(op, port);
log(`operator pid ${op.pid} ready; RSS idle ${rssMiB(op.pid).toFixed(0)} MB`);
const rows = [];
const rssIdle = rssMiB(op.pid);

const children = watchChildren(client);
await Promise.all(Object.values(children).map((i) => i.waitForSync()));
completeJobs(client, children.jobs);

// Phase 1: N apps
const plane_ = descendants(plane.child.pid);
const cpuPids = { operator: op.pid, 'kube-apiserver': plane_['kube-apiserver'], etcd: plane_.etcd, 'this bench': process.pid };
const cpu = () => Object.fromEntries(Object.entries(cpuPids).map(([k, p]) => [k, cpuSeconds(p)]));
const cpu0 = cpu();
const m0 = await metrics(port);
const t0 = Date.now();
const first = await createApps(client, 0, APPS);
const createMs = Date.now() - t0;
await waitConverged(children, first, `${APPS} apps`);
const totalMs = Date.now() - t0;
const cpu1 = cpu();
const loadDuring = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
await sleep(2000); // trailing status writes
const m1 = await metrics(port);
const reqs = diff(m0.byVerb, m1.byVerb);
const reconciles = m1.reconciles - m0.reconciles;

// Phase 2: a sidecar injector touches every Deployment, then steady state
const wBefore = writes(m1.byVerb);
const injectAt = Date.now();
await injectSidecars(client, children.deployments.list());
log(`sidecars injected into ${children.deployments.size()} Deployments in ${((Date.now() - injectAt) / 1000).toFixed(1)} s`);
log(`steady state for ${STEADY_S} s (resync every ${RESYNC_S} s)`);
await sleep(STEADY_S * 1000);
const m2 = await metrics(port);
const steadyWrites = writes(m2.byVerb) - wBefore;
const steadyReconciles = m2.reconciles - m1.reconciles;
const steadyReqs = diff(m1.byVerb, m2.byVerb);
const rss500 = await peakRssMb(op.pid, 5000);

// Phase 3: 2N apps
const second = await createApps(client, APPS, 2 * APPS);
const converge2Ms = await waitConverged(children, [...first, ...second], `${2 * APPS} apps`);
const rss1000 = await peakRssMb(op.pid, 5000);
const mem1000 = await metrics(port);

// Phase 4: 20 successive tag changes of one migrating app
const tags = await successiveTagChanges(client, children, first[0], TAG_CHANGES);
log(`${TAG_CHANGES} tag changes of ${first[0]} took ${(tags.ms / 1000).toFixed(1)} s; ${tags.jobs} Jobs left`);

// Phase 5: many apps (migrations off: the Jobs add nothing to what the operator keeps in memory)
let big;
if (BIG > 2 * APPS) {
  const more = await createApps(client, 2 * APPS, BIG, { noMigrations: true });
  const ms = await waitConverged(children, [...first, ...second, ...more], `${BIG} apps`);
  big = { ms, rss: await peakRssMb(op.pid, 5000) };
}
await Promise.all(Object.values(children).map((i) => i.stop()));

// Shutdown: SIGTERM must end with exit 0
const termAt = Date.now();
op.kill('SIGTERM');
const exit = await opExit;
const termMs = Date.now() - termAt;
client.close();
await plane.stop();

const perReconcile = Object.entries(reqs).sort(([a], [b]) => a.localeCompare(b))
  .map(([k, v]) => `${k}=${(v / reconciles).toFixed(2)}`).join(', ');
const byVerbOnly = {};
for (const [k, v] of Object.entries(reqs)) { const verb = k.split(' ')[0]; byVerbOnly[verb] = (byVerbOnly[verb] ?? 0) + v; }
const pr = (n) => (n / reconciles).toFixed(2);
const pa = (n) => (n / APPS).toFixed(2);
const perApp = Object.entries(reqs).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${pa(v)}`).join(', ');
const allPerApp = pa(Object.values(reqs).reduce((n, v) => n + v, 0));

rows.push(['FastApiApps', `${APPS} (${Math.ceil(APPS / 2)} migrating)`, '']);
rows.push(['create requests took', `${(createMs / 1000).toFixed(1)} s`, '']);
rows.push([`time until every child exists (${APPS})`, `${(totalMs / 1000).toFixed(1)} s`, '<= 8 s']);
rows.push([`  CPU seconds meanwhile (2 cores; 1-min load ${loadDuring})`, Object.entries(cpu1).map(([k, v]) => `${k} ${(v - cpu0[k]).toFixed(1)}`).join(', '), '']);
rows.push(['  operator CPU ms per app', ((cpu1.operator - cpu0.operator) * 1000 / APPS).toFixed(1), '']);
rows.push(['reconciles during convergence', String(reconciles), '']);
rows.push(['API requests per converged app (half migrating), by verb', `${allPerApp}: ${Object.entries(byVerbOnly).map(([v, n]) => `${v} ${pa(n)}`).join(', ')}`, 'get 0']);
rows.push(['  detail (verb resource)', perApp, '']);
rows.push(['API requests per reconcile, by verb', Object.entries(byVerbOnly).map(([v, n]) => `${v} ${pr(n)}`).join(', '), '']);
rows.push(['  detail (verb resource)', perReconcile, '']);
rows.push([`operator writes from the sidecar injection through ${STEADY_S} s steady state`, `${steadyWrites} (${steadyReconciles} reconciles, all requests: ${JSON.stringify(steadyReqs)})`, '0']);
rows.push([`operator command line: node ${operatorCommand().map((a) => (a.startsWith(root) ? path.relative(root, a) : a)).join(' ')}`, '', '']);
rows.push(['operator RSS idle', `${rssIdle.toFixed(0)} MB`, '']);
rows.push([`operator peak RSS over 5 s at ${APPS}`, `${rss500.toFixed(0)} MB`, '']);
rows.push([`time until every child exists (${2 * APPS}, after the first ${APPS})`, `${(converge2Ms / 1000).toFixed(1)} s`, '']);
rows.push([`operator peak RSS over 5 s at ${2 * APPS}`, `${rss1000.toFixed(0)} MB`, '<= 100 MB']);
rows.push([`  V8 heap used / total, external at ${2 * APPS}`, `${mem1000.heapUsedMb.toFixed(0)} / ${mem1000.heapTotalMb.toFixed(0)} MB, ${mem1000.externalMb.toFixed(0)} MB`, '']);
rows.push([`migration Jobs left after ${TAG_CHANGES} tag changes of one app`, `${tags.jobs} (${(tags.ms / 1000).toFixed(1)} s)`, `<= ${HISTORY_LIMIT}`]);
if (big) {
  rows.push([`time until every child exists (${BIG})`, `${(big.ms / 1000).toFixed(1)} s`, '']);
  rows.push([`operator peak RSS over 5 s at ${BIG}`, `${big.rss.toFixed(0)} MB`, 'reported']);
}
rows.push(['SIGTERM to exit', `${termMs} ms, exit code ${exit.code}`, 'exit 0']);

const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length)), 9];
const line = (r) => `| ${r[0].padEnd(w[0])} | ${r[1].padEnd(w[1])} | ${r[2].padEnd(w[2])} |`;
console.log(line(['measure', 'result', 'target']));
console.log(`|${'-'.repeat(w[0] + 2)}|${'-'.repeat(w[1] + 2)}|${'-'.repeat(w[2] + 2)}|`);
for (const r of rows) console.log(line(r));
