// The operator with exactly the permissions its install manifests grant (cdk8s/charts/operator.ts),
// bound in one namespace: the whole create -> migrate -> roll out -> Ready path works, and no
// request is refused (no 403 in rest_client_requests_total).
import { createTestNamespace, kubeconfigForUser, loadKubeConfig } from '../harness/envtest';
import { CLUSTER_RULES, LEASE_RULES, SECRET_READER_RULES } from '../../cdk8s/charts/operator';
import { KubeClient } from '../../operator/src/kube/client';
import { DEPLOYMENTS, SERVICES, type ResourceType } from '../../operator/src/kube/resources';
import type { KubeObject } from '../../operator/src/kube/types';
import { buildCanaryDeployment, buildPreviewService } from '../../operator/src/desired';
import { startTestOperator, probe, type TestOperator } from './support/operator';
import { condition, eventually, World } from './support/world';

const rbac = (plural: string, kind: string, namespaced = true): ResourceType =>
  ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural, kind, namespaced });
const CLUSTER_ROLES = rbac('clusterroles', 'ClusterRole', false);

let ns: string;
let admin: KubeClient;
let world: World;
let op: TestOperator | undefined;
let clusterRole: string;

beforeAll(async () => {
  const kc = loadKubeConfig();
  ns = await createTestNamespace('operator-rbac');
  admin = new KubeClient(kc);
  world = new World(kc, ns);
  clusterRole = `fastapiapp-operator-test-${ns}`;
  const user = `operator-${ns}`;
  // in this namespace also the Secret read a user grants with the secret-reader RoleBinding
  await admin.create(CLUSTER_ROLES, { metadata: { name: clusterRole }, rules: [...CLUSTER_RULES, ...SECRET_READER_RULES] });
  await admin.create(rbac('rolebindings', 'RoleBinding'), {
    metadata: { name: 'operator', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
  });
  await admin.create(rbac('roles', 'Role'), { metadata: { name: 'leader-election', namespace: ns }, rules: LEASE_RULES });
  await admin.create(rbac('rolebindings', 'RoleBinding'), {
    metadata: { name: 'leader-election', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leader-election' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
  });
  op = await startTestOperator(kubeconfigForUser(user), ns, { leaderElect: true }, { name: 'rbac-leader', identity: 'rbac-op' });
});

afterAll(async () => {
  await op?.stop();
  await admin?.delete(CLUSTER_ROLES, undefined, clusterRole);
  admin?.close();
  world?.close();
});

test('when the operator runs with the install manifests\' permissions, then it reconciles an app to Ready with no request refused', async () => {
  await eventually(() => op!.isLeader(), 'operator leads with its Role');
  const app = await world.createApp('least');
  const job = await eventually(() => world.jobFor(app, 'registry.example/items:v1'), 'migration Job');
  await world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => world.deployment('least'), 'Deployment');
  await world.rollOut('least');
  await eventually(async () => condition(await world.app('least'), 'Ready')?.status === 'True', 'Ready=True');
  await world.patchSpec('least', { monitoring: { enabled: false } });
  await eventually(async () => !(await world.serviceMonitor('least')), 'ServiceMonitor deleted');
  // a strategy's left-overs (as a BlueGreen or Canary rollout leaves them) under strategy RollingUpdate: deleted
  const stored = (await world.app('least'))!;
  await admin.create(SERVICES, buildPreviewService(stored) as KubeObject);
  await admin.create(DEPLOYMENTS, buildCanaryDeployment(stored, 'registry.example/items:v1', 0) as KubeObject);
  await world.rollOut('least-canary'); // the controller reports no pod
  await eventually(async () => !(await world.service('least-preview')) && !(await world.deployment('least-canary')), 'preview Service and drained canary deleted');
  expect((await world.events('least')).map((e) => e.reason)).toEqual(expect.arrayContaining(['RolloutComplete']));
  const metrics = (await probe(op!, '/metrics')).body;
  expect(metrics).toMatch(/rest_client_requests_total\{code="200"/);
  expect(metrics).not.toMatch(/rest_client_requests_total\{code="403"/);
});
