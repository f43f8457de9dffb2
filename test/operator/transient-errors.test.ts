// Behaviour 8: transient API errors (429 and 5xx with and without Retry-After) are retried with
// backoff, honouring Retry-After; they do not flip Ready or emit a Warning until they persist
// past TRANSIENT_ERROR_THRESHOLD_SECONDS; Events and migration metrics are emitted once per
// transition even while status writes fail and passes are retried. The faults are real HTTP
// answers from a proxy in front of the real API server (test/operator/support/fault-proxy.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { FASTAPIAPPS, SERVICES } from '../../operator/src/kube/resources';
import { Informer } from '../../operator/src/runtime/informer';
import { memoryLogger } from './support/informer-kit';
import { startFaultProxy, type FaultProxy, type LoggedRequest } from './support/fault-proxy';
import { metricValue, startTestOperator, type TestOperator } from './support/operator';
import { afterReconcile, ref } from './support/suite';
import { condition, eventually, image, World, type App, type Loose } from './support/world';

let kc: KubeConfig;
let proxy: FaultProxy;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  kc = loadKubeConfig();
  proxy = await startFaultProxy(kc);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await proxy?.close();
});

interface Setup { ns: string; world: World; op: TestOperator; readyReasons: string[] }

/** A namespace, an operator reaching the API server through the proxy, and every Ready reason the apps ever had. */
async function setup(prefix: string, thresholdMs: number): Promise<Setup> {
  const ns = await createTestNamespace(prefix);
  const world = new World(kc, ns);
  const op = await startTestOperator(proxy.kubeConfig(), ns, { transientErrorThresholdMs: thresholdMs });
  // what status said at every change, seen by a watch of our own (not through the proxy)
  const readyReasons: string[] = [];
  const watcher = new Informer<App & Loose>(world.client, { resource: FASTAPIAPPS, namespace: ns }, memoryLogger().logger);
  watcher.on({ upsert: (a) => { const r = condition(a, 'Ready'); if (r) readyReasons.push(`${a.metadata.name}:${r.status}:${r.reason}`); } });
  watcher.start();
  cleanups.push(() => op.stop(), () => watcher.stop(), () => world.close());
  await eventually(() => op.isReady() && watcher.hasSynced(), 'operator and watcher synced');
  return { ns, world, op, readyReasons };
}

const isApply = (ns: string, plural: string, name: string) => (r: { method: string; url: string }): boolean =>
  r.method === 'PATCH' && r.url.split('?')[0]!.endsWith(`/namespaces/${ns}/${plural}/${name}`);
const isStatusWrite = (ns: string, name: string) => (r: { method: string; url: string }): boolean =>
  r.method === 'PATCH' && r.url.split('?')[0]!.endsWith(`/namespaces/${ns}/fastapiapps/${name}/status`);
const warnings = async (world: World, name: string): Promise<Loose[]> => (await world.events(name)).filter((e) => e.type === 'Warning');
const eventsNamed = async (world: World, name: string, reason: string): Promise<number> => (await world.events(name)).filter((e) => e.reason === reason).length;

describe('with a 60 s threshold', () => {
  let s: Setup;
  beforeAll(async () => { s = await setup('transient', 60_000); });

  test('when Deployment applies are answered 429 with Retry-After, then the operator waits as told, retries and converges; Ready never shows the error and no Warning is emitted', async () => {
    const match = isApply(s.ns, 'deployments', 'throttled');
    let throttled = 0;
    proxy.setRule((r) => (match(r) && throttled++ < 3 ? { status: 429, retryAfter: '1' } : undefined));
    await s.world.createApp('throttled', { migration: { enabled: false } });
    await eventually(async () => image(await s.world.deployment('throttled')) === ref('v1'), 'Deployment created after the 429s', 30_000);
    proxy.setRule(undefined);

    // the API server may have stored the Deployment before the proxy relayed its answer: wait for that
    const attempts: LoggedRequest[] = await eventually(() => {
      const seen = proxy.log.filter(match);
      return seen.length >= 4 && seen.slice(0, 4).every((a) => a.status !== 0) && seen;
    }, 'the proxy relayed the answer to the fourth apply');
    expect(attempts.slice(0, 4).map((a) => a.status)).toEqual([429, 429, 429, 201]); // 201: the apply created it
    for (let i = 1; i < 4; i++) expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(950); // Retry-After: 1
    await s.world.rollOut('throttled');
    await eventually(async () => condition(await s.world.app('throttled'), 'Ready')?.status === 'True', 'Ready');
    expect(s.readyReasons.filter((r) => r.startsWith('throttled:') && r.includes('ReconcileError'))).toEqual([]);
    expect(await warnings(s.world, 'throttled')).toEqual([]);
    expect(await metricValue(s.op, 'rest_client_request_retries_total', { code: '429', verb: 'apply' })).toBeGreaterThanOrEqual(3);
  }, 60_000);

  test('when status writes fail with 503 while the migration succeeds and the rollout completes, then each Event and migration metric is emitted once, and status catches up', async () => {
    const app = await s.world.createApp('flaky-status');
    const job = await eventually(() => s.world.jobFor(app, ref('v1')), 'migration Job');
    await eventually(async () => condition(await s.world.app('flaky-status'), 'Migrated')?.reason === 'MigrationRunning', 'MigrationRunning recorded');
    const succeededBefore = (await metricValue(s.op, 'fastapiapp_migrations_total', { result: 'succeeded' })) ?? 0;

    const statusWrite = isStatusWrite(s.ns, 'flaky-status');
    proxy.setRule((r) => (statusWrite(r) ? { status: 503 } : undefined));
    const failedSoFar = (): number => proxy.log.filter((r) => statusWrite(r) && r.status === 503).length;
    await s.world.finishJob(job.metadata.name, 'succeeded');
    await eventually(async () => image(await s.world.deployment('flaky-status')) === ref('v1'), 'Deployment after the migration');
    await s.world.rollOut('flaky-status');
    // several passes, each ending in a failed status write (4 attempts per pass)
    await eventually(() => failedSoFar() >= 12, 'status writes fail over several passes', 40_000, 200);
    expect(condition(await s.world.app('flaky-status'), 'Migrated')?.reason).toBe('MigrationRunning'); // nothing landed

    proxy.setRule(undefined);
    await eventually(async () => condition(await s.world.app('flaky-status'), 'Ready')?.status === 'True', 'status catches up', 30_000);
    // one more pass after that: it must not re-emit anything
    await afterReconcile(s.op, 'Ready', () => s.world.mergePatch(SERVICES, 'flaky-status', { metadata: { annotations: { 'example.com/seen': 'yes' } } }));
    // the release's one Event (the migration's success is in its message and in status)
    expect((await s.world.events('flaky-status')).map((e) => e.reason)).toEqual(['RolloutComplete']);
    expect(await eventsNamed(s.world, 'flaky-status', 'RolloutComplete')).toBe(1);
    expect(await metricValue(s.op, 'fastapiapp_migrations_total', { result: 'succeeded' })).toBe(succeededBefore + 1);
    expect(await warnings(s.world, 'flaky-status')).toEqual([]);
  }, 90_000);
});

test('when 503s persist past the threshold, then Ready turns False (ReconcileError) only then, with one Warning, and recovers when they stop', async () => {
  const thresholdMs = 3_000;
  const s = await setup('persistent', thresholdMs);
  const match = isApply(s.ns, 'services', 'down');
  proxy.setRule((r) => (match(r) ? { status: 503, retryAfter: '1' } : undefined));
  await s.world.createApp('down', { migration: { enabled: false } });
  await eventually(async () => condition(await s.world.app('down'), 'Ready')?.reason === 'ReconcileError', 'ReconcileError after the threshold', 30_000, 100);
  const firstFault = proxy.log.find((r) => match(r) && r.status === 503)!.at;
  const reported = Date.parse(condition(await s.world.app('down'), 'Ready')!.lastTransitionTime);
  expect(reported - firstFault).toBeGreaterThanOrEqual(thresholdMs - 1_000); // lastTransitionTime has 1 s resolution
  expect(condition(await s.world.app('down'), 'Degraded')).toMatchObject({ status: 'True', reason: 'ReconcileError' });
  expect(condition(await s.world.app('down'), 'Ready')?.message).toContain('503');

  proxy.setRule(undefined);
  await eventually(async () => condition(await s.world.app('down'), 'Degraded')?.status === 'False', 'recovered', 30_000);
  await eventually(() => s.world.service('down'), 'Service created');
  const warned = await warnings(s.world, 'down');
  expect(warned.map((e) => e.reason)).toEqual(['ReconcileError']);
  // before the threshold nothing was said: every Ready before ReconcileError was from a pass without errors
  expect(s.readyReasons.filter((r) => r.startsWith('down:')).slice(0, 1)).toEqual(['down:False:ReconcileError']);
}, 60_000);
