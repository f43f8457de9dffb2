// The operator stopping while a pass waits for its namespace's first Secret list, which the API
// server (a proxy in front of the real one) holds for a minute, as an overloaded or frozen server
// would: leader-freeze's process test was seen still running 15 s after the freeze under load.
// Whether leadership is lost or stop() is called, the operator ends at once, without waiting for
// the list, and the pass that waited writes nothing (it would have reported SecretNotFound from a
// Secret cache that was never filled).
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from './support/fault-proxy';
import { startTestOperator, type TestOperator } from './support/operator';
import { eventually, World } from './support/world';

const HOLD_MS = 60_000;
/** a loaded machine's timer and event-loop lateness */
const SLACK_MS = 2_000;

let kc: KubeConfig;
let proxy: FaultProxy;

beforeAll(async () => {
  kc = loadKubeConfig();
  proxy = await startFaultProxy(kc);
});
afterAll(async () => { await proxy?.close(); });

const secretList = (ns: string) => (r: ProxiedRequest): boolean =>
  !r.watch && r.method === 'GET' && r.url.split('?')[0] === `/api/v1/namespaces/${ns}/secrets`;

/** A namespace with an app whose first pass is waiting for the Secret list the proxy holds. */
async function passWaitingForSecrets(prefix: string, leaderElect: boolean): Promise<{ ns: string; world: World; op: TestOperator }> {
  const ns = await createTestNamespace(prefix);
  const world = new World(kc, ns);
  proxy.setRule((r) => (secretList(ns)(r) ? { delayMs: HOLD_MS } : undefined));
  const op = await startTestOperator(proxy.kubeConfig(), ns, { leaderElect },
    { name: `${prefix}-lease`, identity: `${prefix}-a`, leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 1_000 });
  await eventually(() => (leaderElect ? op.isLeader() : op.isReady()), 'operator leads / synced');
  await world.createApp('waits');
  await eventually(() => proxy.log.some(secretList(ns)), 'the pass asked for the namespace\'s Secrets');
  return { ns, world, op };
}

async function expectNothingWritten(world: World, op: TestOperator): Promise<void> {
  expect((await world.app('waits'))?.status).toBeUndefined();
  expect(await world.events('waits')).toEqual([]);
  expect(Object.keys(op.client.requests.counts()).filter((k) => /^(apply|create|patch|update|delete) (?!leases)/.test(k))).toEqual([]);
}

test('when leadership is lost while a pass waits for a Secret list the server holds, then the operator ends at its renew deadline without waiting for the list, and writes nothing', async () => {
  const { ns, world, op } = await passWaitingForSecrets('stop-lost', true);
  try {
    // the Lease renewals now fail: leadership ends at the renew deadline
    proxy.setRule((r) => (secretList(ns)(r) ? { delayMs: HOLD_MS } : r.url.includes('/leases/') ? { status: 503 } : undefined));
    expect(await op.done).toBe('lost');
    const doneAt = Date.now();
    const lostAt = Number(op.logs.find((l) => String(l.msg).startsWith('lost leadership'))?.time);
    expect(doneAt - lostAt).toBeLessThan(SLACK_MS); // was: the held list (60 s), then its retries
    expect(op.logs.some((l) => l.msg === 'operator stopped')).toBe(true);
    await expectNothingWritten(world, op);
  } finally {
    await op.stop();
    world.close();
  }
}, 90_000);

test('when stop() is called while a pass waits for a Secret list the server holds, then it returns at once and the pass writes nothing (no SecretNotFound from an empty cache)', async () => {
  const { world, op } = await passWaitingForSecrets('stop-graceful', false);
  try {
    const t0 = Date.now();
    await op.stop();
    expect(Date.now() - t0).toBeLessThan(SLACK_MS);
    expect(op.logs.some((l) => l.msg === 'reconcile ended by the shutdown')).toBe(true);
    await expectNothingWritten(world, op);
  } finally {
    world.close();
  }
}, 90_000);
