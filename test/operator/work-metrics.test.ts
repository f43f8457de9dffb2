// Behaviour 15: controller-runtime's worker and work-queue metrics, scraped from /metrics while a
// reconcile is held up (the API server's answer to its Deployment apply is delayed by a proxy)
// and after it finished: controller_runtime_active_workers, workqueue_work_duration_seconds,
// workqueue_unfinished_work_seconds, workqueue_longest_running_processor_seconds.
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy';
import { metricValue, startTestOperator, type TestOperator } from './support/operator';
import { eventually, World } from './support/world';

const DELAY_MS = 4_000;
let proxy: FaultProxy;
let op: TestOperator;
let world: World;
let ns: string;

beforeAll(async () => {
  const kc = loadKubeConfig();
  proxy = await startFaultProxy(kc);
  ns = await createTestNamespace('work-metrics');
  world = new World(kc, ns);
  op = await startTestOperator(proxy.kubeConfig(), ns);
  await eventually(() => op.isReady(), 'caches synced');
});

afterAll(async () => {
  await op?.stop();
  world?.close();
  await proxy?.close();
});

test('when a reconcile is held up, then active workers, unfinished work and the longest running processor show it, and work duration records it once done', async () => {
  const m = (name: string, labels: Record<string, string>) => metricValue(op, name, labels);
  const queue = { name: 'fastapiapp' };
  const controller = { controller: 'fastapiapp' };
  await eventually(async () => (await m('controller_runtime_active_workers', controller)) === 0, 'idle after start-up');
  expect(await m('workqueue_unfinished_work_seconds', queue)).toBe(0);
  expect(await m('workqueue_longest_running_processor_seconds', queue)).toBe(0);
  const countBefore = (await m('workqueue_work_duration_seconds_count', queue)) ?? 0;
  const sumBefore = (await m('workqueue_work_duration_seconds_sum', queue)) ?? 0;

  proxy.setRule((r) => (r.method === 'PATCH' && r.url.split('?')[0]!.endsWith(`/namespaces/${ns}/deployments/slow`) ? { delayMs: DELAY_MS } : undefined));
  await world.createApp('slow', { migration: { enabled: false } });
  await eventually(async () => ((await m('workqueue_longest_running_processor_seconds', queue)) ?? 0) >= 2, 'the held reconcile is 2 s old', DELAY_MS + 10_000, 100);
  expect(await m('controller_runtime_active_workers', controller)).toBe(1);
  const unfinished = (await m('workqueue_unfinished_work_seconds', queue))!;
  expect(unfinished).toBeGreaterThanOrEqual(2);
  expect(unfinished).toBeLessThan(DELAY_MS / 1000 + 5);

  await eventually(() => world.deployment('slow'), 'Deployment once the answer comes', DELAY_MS + 10_000);
  await eventually(async () => (await m('controller_runtime_active_workers', controller)) === 0, 'idle again');
  proxy.setRule(undefined);
  expect(await m('workqueue_unfinished_work_seconds', queue)).toBe(0);
  expect(await m('workqueue_longest_running_processor_seconds', queue)).toBe(0);
  expect(await m('workqueue_work_duration_seconds_count', queue)).toBeGreaterThan(countBefore);
  expect((await m('workqueue_work_duration_seconds_sum', queue))! - sumBefore).toBeGreaterThanOrEqual(DELAY_MS / 1000 - 0.1);
  // the held reconcile lands in the bucket above the delay, not below it
  const below = (await m('workqueue_work_duration_seconds_bucket', { ...queue, le: '1' }))!;
  const upTo10 = (await m('workqueue_work_duration_seconds_bucket', { ...queue, le: '10' }))!;
  expect(upTo10 - below).toBeGreaterThanOrEqual(1);
}, 60_000);
