// Behaviour 7: without the ServiceMonitor CRD everything else works and a condition says why;
// once the CRD is installed the ServiceMonitor appears without a restart. Removing a CRD is
// cluster-wide, so this file runs on a control plane of its own.
import fs from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KubeClient } from '../../operator/src/kube/client';
import { CRDS, SERVICEMONITORS } from '../../operator/src/kube/resources';
import { startPrivateControlPlane, type PrivateControlPlane } from './support/private-control-plane';
import { startTestOperator, type TestOperator } from './support/operator';
import { condition, eventually, World, type Loose } from './support/world';

const SM_CRD = 'servicemonitors.monitoring.coreos.com';
const SM_CRD_FILE = path.join(__dirname, '../harness/envtest/servicemonitor-crd.yaml');

let plane: PrivateControlPlane;
let kc: KubeConfig;
let admin: KubeClient;
let op: TestOperator | undefined;
let world: World;

beforeAll(async () => {
  plane = await startPrivateControlPlane();
  kc = plane.kubeConfig();
  admin = new KubeClient(kc);
  await admin.create({ group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false }, { metadata: { name: 'mon' } });
  world = new World(kc, 'mon');
}, 120_000);

afterAll(async () => {
  await op?.stop();
  world?.close();
  admin?.close();
  await plane?.stop();
});

test('when the ServiceMonitor CRD is absent, then the app still rolls out and MonitoringAvailable=False; once installed, the ServiceMonitor appears', async () => {
  await admin.delete(CRDS, undefined, SM_CRD);
  await eventually(async () => !(await admin.get(CRDS, undefined, SM_CRD)), 'CRD gone');
  await eventually(async () => {
    try {
      await admin.list(SERVICEMONITORS, 'mon');
      return false;
    } catch {
      return true;
    }
  }, 'servicemonitors no longer served');

  op = await startTestOperator(kc, 'mon');
  await eventually(() => op!.isReady(), 'caches synced (readyz without the CRD)');
  await world.createApp('nomon', { migration: { enabled: false } });
  await eventually(() => world.deployment('nomon'), 'Deployment');
  await eventually(() => world.service('nomon'), 'Service');
  const app = await eventually(async () => {
    const a = await world.app('nomon');
    return condition(a, 'MonitoringAvailable')?.reason === 'CRDNotInstalled' && a;
  }, 'MonitoringAvailable=False CRDNotInstalled');
  expect(condition(app, 'MonitoringAvailable')?.status).toBe('False');
  expect(condition(app, 'Degraded')?.status).toBe('False');
  expect((await world.events('nomon')).some((e) => e.reason === 'MonitoringUnavailable' && e.type === 'Warning')).toBe(true);

  const crd = parse(fs.readFileSync(SM_CRD_FILE, 'utf8')) as Loose;
  await admin.apply(CRDS, crd);
  const sm = await eventually(() => world.serviceMonitor('nomon'), 'ServiceMonitor after the CRD was installed', 30_000);
  expect(sm.metadata.ownerReferences?.[0]?.name).toBe('nomon');
  await eventually(async () => condition(await world.app('nomon'), 'MonitoringAvailable')?.status === 'True', 'MonitoringAvailable=True');
});
