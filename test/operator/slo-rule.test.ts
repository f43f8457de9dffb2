// spec.slo against the real API server (with the PrometheusRule CRD stand-in): the operator
// creates the app's PrometheusRule, keeps it as built, and deletes it when the SLO or monitoring goes.
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { PROMETHEUSRULES } from '../../operator/src/kube/resources';
import { ERROR_BUDGET_ALERT, LATENCY_BUDGET_ALERT } from '../../operator/src/desired';
import { startTestOperator, type TestOperator } from './support/operator';
import { eventually, World, type Loose } from './support/world';

let kc: KubeConfig;
let ns: string;
let world: World;
let op: TestOperator;

const RUNBOOKS = 'https://runbooks.example.test/fastapiapp';
const SLO = { availability: { objective: '99.9' }, latency: { threshold: '0.5', objective: '99' } };

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('operator-slo');
  world = new World(kc, ns);
  op = await startTestOperator(kc, ns, { runbookBaseUrl: RUNBOOKS });
  await eventually(() => op.isReady(), 'caches synced');
});

afterAll(async () => {
  await op?.stop();
  world?.close();
});

const rule = (name: string) => world.get(PROMETHEUSRULES, name);
const alertsOf = (r: Loose): Loose[] => r.spec.groups.flatMap((g: Loose) => g.rules).filter((x: Loose) => x.alert);
const observed = async (name: string) => {
  const a = await world.app(name);
  return a?.status?.observedGeneration === a?.metadata.generation && a;
};

test('when an app sets spec.slo, then its PrometheusRule appears, owned by the app, with the burn-rate alerts linking the configured runbooks', async () => {
  const app = await world.createApp('with-slo', { migration: { enabled: false }, slo: SLO });
  const r = await eventually(() => rule('with-slo'), 'PrometheusRule');
  expect(r.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'FastApiApp', name: 'with-slo', uid: app.metadata.uid, controller: true })]);
  const alerts = alertsOf(r);
  expect(alerts.filter((a) => a.alert === ERROR_BUDGET_ALERT)).toHaveLength(4);
  expect(alerts.filter((a) => a.alert === LATENCY_BUDGET_ALERT)).toHaveLength(4);
  for (const a of alerts) expect(a.annotations.runbook_url).toBe(`${RUNBOOKS}/${a.alert}.md`);
});

test('when the PrometheusRule is edited by hand, then the operator puts it back', async () => {
  await world.createApp('drift', { migration: { enabled: false }, slo: SLO });
  await eventually(() => rule('drift'), 'PrometheusRule');
  await world.mergePatch(PROMETHEUSRULES, 'drift', { spec: { groups: [{ name: 'mine', rules: [] }] } });
  const back = await eventually(async () => {
    const r = await rule('drift');
    return r?.spec.groups.length === 2 && r;
  }, 'PrometheusRule restored');
  expect(alertsOf(back)).toHaveLength(8);
});

test('when spec.slo is removed, or monitoring turned off, then the PrometheusRule is deleted', async () => {
  await world.createApp('remove', { migration: { enabled: false }, slo: SLO });
  await eventually(() => rule('remove'), 'PrometheusRule');
  await world.patchSpec('remove', { slo: null });
  await eventually(async () => !(await rule('remove')), 'PrometheusRule deleted after spec.slo was removed');

  await world.createApp('unmonitored', { migration: { enabled: false }, slo: SLO });
  await eventually(() => rule('unmonitored'), 'PrometheusRule');
  await world.patchSpec('unmonitored', { monitoring: { enabled: false } });
  await eventually(async () => !(await rule('unmonitored')), 'PrometheusRule deleted after monitoring was disabled');
});

test('when an app has no spec.slo, then no PrometheusRule is created', async () => {
  await world.createApp('no-slo', { migration: { enabled: false } });
  // processed: the ServiceMonitor exists and status is written for this generation
  await eventually(() => world.serviceMonitor('no-slo'), 'ServiceMonitor');
  await eventually(() => observed('no-slo'), 'status for the current generation');
  expect(await rule('no-slo')).toBeUndefined();
});
