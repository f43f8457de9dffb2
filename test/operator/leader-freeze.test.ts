// Behaviour 12 with a frozen network: the leader's API traffic (watches, writes, its Lease
// renewals) goes through a TCP proxy that freezes every connection, old and new, without closing
// any. The leader must give up at its renew deadline (its renewal is aborted, not left hanging
// for the request timeout), stop writing at once, and end ('lost'; the process exits 1 so the pod
// restarts); the standby must lead within the lease duration, and only after the old leader
// stopped. Checked on the state of the world: the Lease record, the Events each replica wrote
// (reportingInstance), the children.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { LEASES } from '../../operator/src/kube/resources';
import type { Lease } from '../../operator/src/kube/types';
import { collectGarbageEvery } from './support/gc';
import { kubeConfigVia } from './support/informer-kit';
import { startTestOperator, type TestOperator } from './support/operator';
import { ref } from './support/suite';
import { startTcpProxyFor, type TcpProxy } from './support/tcp-proxy';
import { condition, eventually, image, World, type Loose } from './support/world';

const LEASE = { leaseDurationMs: 6_000, renewDeadlineMs: 4_000, retryPeriodMs: 1_000 };
/** timers and a loaded machine: how late a deadline may fire and still count as on time */
const SLACK_MS = 1_500;

let kc: KubeConfig;
let ns: string;
let world: World;
const proxies: TcpProxy[] = [];
const running: TestOperator[] = [];

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('leader-freeze');
  world = new World(kc, ns);
});

afterAll(async () => {
  await Promise.all(running.map((o) => o.stop()));
  await Promise.all(proxies.map((p) => p.close()));
  world?.close();
});

async function proxyToApiServer(): Promise<TcpProxy> {
  const proxy = await startTcpProxyFor(kc);
  proxies.push(proxy);
  return proxy;
}

const microTime = (t: string | undefined): number => Date.parse(t ?? '');

test('when the leader\'s API traffic freezes, then it gives up at its renew deadline and stops, and the standby leads within the lease duration, only after that', async () => {
  const proxy = await proxyToApiServer();
  const lease = { name: 'freeze-lease', ...LEASE };
  const a = await startTestOperator(kubeConfigVia(kc, proxy.url), ns, { leaderElect: true }, { ...lease, identity: 'frozen-a' });
  running.push(a);
  await eventually(() => a.isLeader(), 'frozen-a leads');
  const b = await startTestOperator(kc, ns, { leaderElect: true }, { ...lease, identity: 'standby-b' });
  running.push(b);
  await eventually(() => b.isReady(), 'standby-b synced');

  const app = await world.createApp('contested', { migration: { enabled: false } });
  await eventually(() => world.deployment('contested'), 'Deployment from frozen-a');
  await world.rollOut('contested');
  await eventually(async () => condition(await world.app('contested'), 'Ready')?.status === 'True', 'Ready from frozen-a');
  expect((await world.client.get<Lease>(LEASES, ns, 'freeze-lease'))?.spec?.holderIdentity).toBe('frozen-a');

  // Garbage collections while the renewal hangs must not lose its deadline (on Node 20 an
  // AbortSignal.timeout inside AbortSignal.any is collected and never fires: a CI run hung so).
  const stopCollecting = collectGarbageEvery(100);
  const frozenAt = Date.now();
  proxy.freeze();

  // The old leader ends on its own, at its renew deadline (its last renewal was sent at most one
  // retry period before the freeze), not after a 30 s request timeout.
  expect(await a.done.finally(stopCollecting)).toBe('lost');
  expect(a.isLeader()).toBe(false);
  const lostAt = Number(a.logs.find((l) => String(l.msg).startsWith('lost leadership'))?.time);
  expect(lostAt - frozenAt).toBeLessThan(LEASE.renewDeadlineMs + SLACK_MS);

  // The standby takes over once the Lease expires: within the lease duration of the last renewal
  // (+ its polling: one retry period to see that renewal, one to try after expiry), and never
  // before the old leader had stopped.
  await eventually(() => b.isLeader(), 'standby-b leads', LEASE.leaseDurationMs + 10_000, 50);
  const ledAt = Date.now();
  expect(ledAt - frozenAt).toBeLessThan(LEASE.leaseDurationMs + 2 * LEASE.retryPeriodMs + SLACK_MS);
  const taken = await world.client.get<Lease>(LEASES, ns, 'freeze-lease');
  expect(taken?.spec).toMatchObject({ holderIdentity: 'standby-b', leaseTransitions: 1 });
  expect(microTime(taken?.spec?.acquireTime)).toBeGreaterThanOrEqual(lostAt);

  // The network heals: the deposed leader does not come back (it ended), the new one does the work.
  proxy.heal();
  await world.patchSpec('contested', { tag: 'v2' });
  await eventually(async () => image(await world.deployment('contested')) === ref('v2'), 'standby-b rolls out v2');
  await world.rollOut('contested');
  await eventually(async () => condition(await world.app('contested'), 'Ready')?.message?.includes(ref('v2')), 'Ready for v2');

  // Events follow the status write that announced the transition, so wait for standby-b's.
  const rolloutsIn = (events: Loose[], who: string): string[] =>
    events.filter((e) => e.reportingInstance === who && e.reason === 'RolloutComplete').map((e) => String(e.message));
  const events = await eventually(async () => {
    const all = await world.events(app.metadata.name);
    return rolloutsIn(all, 'standby-b').length > 0 && all;
  }, 'standby-b records RolloutComplete');
  const by = (who: string): Loose[] => events.filter((e) => e.reportingInstance === who);
  const rolloutsBy = (who: string): string[] => rolloutsIn(events, who);
  expect(rolloutsBy('frozen-a')).toEqual([expect.stringContaining(ref('v1'))]);
  expect(rolloutsBy('standby-b')).toEqual([expect.stringContaining(ref('v2'))]);
  for (const e of by('frozen-a')) expect(microTime(e.lastTimestamp)).toBeLessThan(lostAt);
  expect((await world.client.get<Lease>(LEASES, ns, 'freeze-lease'))?.spec?.holderIdentity).toBe('standby-b');
}, 90_000);

test('when the operator process loses leadership, then it exits 1 (so the pod restarts) at its renew deadline', async () => {
  const proxy = await proxyToApiServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leader-freeze-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const admin = JSON.parse(fs.readFileSync(process.env.KUBECONFIG_ENVTEST!, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  for (const c of admin.clusters) c.cluster.server = proxy.url; // everything the process sends goes through the proxy
  fs.writeFileSync(kubeconfig, JSON.stringify(admin));
  const root = path.join(__dirname, '../..');
  const child = spawn(process.execPath, ['-r', path.join(__dirname, 'support/swc-register.cjs'), path.join(root, 'operator/src/main.ts')], {
    env: {
      PATH: process.env.PATH, KUBECONFIG: kubeconfig, WATCH_NAMESPACES: ns, LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: ns,
      LEADER_ELECTION_ID: 'process-lease', POD_NAME: 'proc-frozen', METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info',
      LEASE_DURATION_SECONDS: '4', RENEW_DEADLINE_SECONDS: '3', RETRY_PERIOD_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  let exitedAt = 0;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { exitedAt = Date.now(); r(code); }));
  try {
    await eventually(async () => (await world.client.get<Lease>(LEASES, ns, 'process-lease'))?.spec?.holderIdentity === 'proc-frozen', 'Lease held by the process', 30_000);
    await eventually(() => stdout.includes('became leader'), 'the process logs it leads');
    const frozenAt = Date.now();
    proxy.freeze();
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 15 s after the freeze'), 15_000).unref())]);
    expect(code).toBe(1);
    expect(exitedAt - frozenAt).toBeLessThan(3_000 + SLACK_MS + 1_000); // + the shutdown itself
    const msgs = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(['lost leadership: could not renew the Lease within the renew deadline', 'operator stopped']));
  } catch (err) {
    throw new Error(`${(err as Error).message}\noperator output:\n${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('when the API server refuses connections, then the leader gives up at its renew deadline, not a retry period after it', async () => {
  const proxy = await proxyToApiServer();
  // The renewal 3 s after the last good one fails within ~1.2 s (the client's own retries of a
  // reset connection), before the 4.5 s deadline; the next 3 s wait must end at the deadline (a
  // full wait ended leadership at ~7 s).
  const lease = { name: 'refused-lease', leaseDurationMs: 8_000, renewDeadlineMs: 4_500, retryPeriodMs: 3_000 };
  const a = await startTestOperator(kubeConfigVia(kc, proxy.url), ns, { leaderElect: true }, { ...lease, identity: 'refused-a' });
  running.push(a);
  await eventually(() => a.isLeader(), 'refused-a leads');

  proxy.cut();
  expect(await a.done).toBe('lost');
  const lost = a.logs.find((l) => String(l.msg).startsWith('lost leadership'));
  const sinceLastRenewMs = Number(lost?.sinceLastRenewMs);
  expect(sinceLastRenewMs).toBeGreaterThanOrEqual(lease.renewDeadlineMs);
  expect(sinceLastRenewMs).toBeLessThan(lease.renewDeadlineMs + 1_000); // 1 s of timer lateness on a loaded machine
});
