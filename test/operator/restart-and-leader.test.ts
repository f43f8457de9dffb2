// Behaviours 10 and 12: an operator stopped mid-migration and started again converges without a
// duplicate Job; with two replicas only the Lease holder writes, a clean stop hands over at once
// (holderIdentity cleared), and a crashed leader is replaced once its Lease expires (~15 s).
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { LEASES } from '../../operator/src/kube/resources';
import type { Lease } from '../../operator/src/kube/types';
import { startTestOperator, type TestOperator } from './support/operator';
import { reconcileCount } from './support/suite';
import { condition, eventually, image, World } from './support/world';

let kc: KubeConfig;
let ns: string;
let world: World;
const running: TestOperator[] = [];

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('operator-restart');
  world = new World(kc, ns);
});

afterAll(async () => {
  await Promise.all(running.map((o) => o.stop()));
  world?.close();
});

async function start(identity: string, leaderElect = false): Promise<TestOperator> {
  const op = await startTestOperator(kc, ns, { leaderElect }, { name: 'op-leader', identity });
  running.push(op);
  return op;
}

const ref = (tag: string) => `registry.example/items:${tag}`;

/** The standby read the Lease once more (a retry period) and found it held: only then is "not leader" a result. */
async function standbyRetried(op: TestOperator): Promise<void> {
  const reads = () => op.client.requests.counts()['get leases'] ?? 0;
  const before = reads();
  await eventually(() => reads() > before, 'the standby retried for the Lease', 10_000);
}
const ownedJobs = async (app: string) => (await world.jobs()).filter((j) => j.metadata.ownerReferences?.[0]?.name === app);

test('when the operator is stopped mid-migration and started again, then it finds the running Job, creates no duplicate, and converges', async () => {
  const first = await start('restart-1');
  const app = await world.createApp('restart');
  await eventually(() => world.jobFor(app, ref('v1')), 'Job v1');
  await first.stop({ releaseLease: false });

  const second = await start('restart-2');
  await eventually(() => second.isReady(), 'second operator synced');
  await eventually(async () => condition(await world.app('restart'), 'Migrated')?.reason === 'MigrationRunning', 'status still MigrationRunning');
  await eventually(async () => (await reconcileCount(second)) >= 1, 'the second operator reconciled the app');
  expect(await ownedJobs('restart')).toHaveLength(1);
  expect(second.client.requests.counts()['apply jobs'] ?? 0).toBe(0);

  await world.finishJob((await world.jobFor(app, ref('v1')))!.metadata.name, 'succeeded');
  await eventually(async () => image(await world.deployment('restart')) === ref('v1'), 'Deployment after restart');

  // and across a tag change: stop while v2 migrates, restart, finish, converge
  await world.patchSpec('restart', { tag: 'v2' });
  await eventually(() => world.jobFor(app, ref('v2')), 'Job v2');
  await second.stop({ releaseLease: false });
  const third = await start('restart-3');
  await eventually(() => third.isReady(), 'third operator synced');
  await eventually(async () => (await reconcileCount(third)) >= 1, 'the third operator reconciled the app');
  expect(await ownedJobs('restart')).toHaveLength(2);
  expect(image(await world.deployment('restart'))).toBe(ref('v1'));
  await world.finishJob((await world.jobFor(app, ref('v2')))!.metadata.name, 'succeeded');
  await eventually(async () => image(await world.deployment('restart')) === ref('v2'), 'Deployment on v2');
  await third.stop();
});

test('when two replicas run, then only the leader writes; a clean stop releases the Lease and a crash hands over within ~15 s', async () => {
  const a = await start('replica-a', true);
  await eventually(() => a.isLeader(), 'replica-a leads');
  const b = await start('replica-b', true);
  await eventually(() => b.isReady(), 'replica-b synced');

  await world.createApp('led', { migration: { enabled: false } });
  await eventually(() => world.deployment('led'), 'Deployment from the leader');
  await standbyRetried(b);
  expect(b.isLeader()).toBe(false);
  expect(b.client.requests.writes(['leases'])).toBe(0);
  expect(a.client.requests.writes(['leases'])).toBeGreaterThan(0);
  const lease = await world.client.get<Lease>(LEASES, ns, 'op-leader');
  expect(lease?.spec).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 15 });

  // clean shutdown: the Lease is released, the standby takes over at its next retry
  const stoppedAt = Date.now();
  await a.stop();
  const released = await world.client.get<Lease>(LEASES, ns, 'op-leader');
  expect(released?.spec?.holderIdentity).not.toBe('replica-a'); // cleared (or already taken by replica-b)
  await eventually(() => b.isLeader(), 'replica-b leads after the clean stop', 10_000);
  expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  await world.patchSpec('led', { replicas: 4 });
  await eventually(async () => (await world.deployment('led'))?.spec.replicas === 4, 'the new leader reconciles');
  expect(b.client.requests.writes(['leases'])).toBeGreaterThan(0);

  // crash: the Lease is not released; the standby waits for it to expire
  const c = await start('replica-c', true);
  await eventually(() => c.isReady(), 'replica-c synced');
  await standbyRetried(c);
  expect(c.isLeader()).toBe(false);
  const crashedAt = Date.now();
  await b.stop({ releaseLease: false });
  await eventually(() => c.isLeader(), 'replica-c leads after the crash', 25_000, 200);
  const takeover = Date.now() - crashedAt;
  expect(takeover).toBeLessThan(20_000);
  expect(takeover).toBeGreaterThan(5_000); // it did wait for the Lease to expire
  expect((await world.client.get<Lease>(LEASES, ns, 'op-leader'))?.spec?.holderIdentity).toBe('replica-c');
}, 60_000);
