// The deploy role's Kubernetes RBAC (infra/deployer-rbac.ts) on the real API server: a user in
// the deployer group can server-side apply everything the rollout job applies (crds/,
// cdk8s/dist/, deploy/fastapiapp.yaml; the dashboards into Grafana's namespace) and read what its
// diagnostics read, and nothing broader.
import path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, installCrdFromFile, kubeconfigForUser, loadKubeConfig } from '../harness/envtest';
import { kubeRequest } from '../api/kube-http';
import { applyRequest, documents, yamlFiles, type Manifest } from '../cdk8s/manifests';
import { CRD_NAME, DASHBOARD_CONFIGMAP_NAMES, DEPLOYER_GROUP, OPERATOR_CLUSTER_RBAC_NAMES, OPERATOR_ROLE_NAMES, deployerRbac } from '../../infra/deployer-rbac';

const root = path.resolve(__dirname, '../..');
const OPERATOR_NAMESPACE = 'fastapiapp-system';

let deployer: KubeConfig;
let appNs: string;
let grafanaNs: string;
/** The file the rollout job applies into Grafana's namespace (namespace-less, like the examples). */
const DASHBOARDS_FILE = 'cdk8s/dist/grafana-dashboards.yaml';

/** Server-side apply as the deployer with dryRun=All (authorization and RBAC escalation checks still run). */
async function applyAsDeployer(obj: Manifest, defaultNamespace = appNs): Promise<{ ok: boolean; status?: number; message?: string }> {
  const res = await applyRequest(deployer, obj, { namespace: defaultNamespace, dryRun: true, fieldManager: 'deploy-test' });
  return res.status < 300 ? { ok: true } : { ok: false, status: res.status, message: res.body?.message };
}

beforeAll(async () => {
  const admin = loadKubeConfig();
  await installCrdFromFile(path.join(root, 'crds/fastapiapp.yaml'));
  await installCrdFromFile(path.join(root, 'test/cdk8s/fixtures/prometheusrule-crd.yaml'));
  await installCrdFromFile(path.join(root, 'test/harness/envtest/servicemonitor-crd.yaml'));
  appNs = await createTestNamespace('deployer', admin);
  grafanaNs = await createTestNamespace('grafana', admin);
  await applyYaml([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } }]);
  await applyYaml(deployerRbac({ operatorNamespace: OPERATOR_NAMESPACE, appNamespaces: [appNs], grafanaNamespace: grafanaNs }) as unknown as KubernetesObject[], { fieldManager: 'pulumi-test' });
  deployer = kubeconfigForUser('ci-deployer', [DEPLOYER_GROUP]);
});

test('when the builder names the operator\'s RBAC objects, then they are the ones cdk8s/dist/operator.yaml holds', () => {
  const install = documents('cdk8s/dist/operator.yaml');
  const names = (kinds: string[]) => [...new Set(install.filter((o) => kinds.includes(o.kind)).map((o) => o.metadata.name as string))].sort();
  expect(names(['ClusterRole', 'ClusterRoleBinding'])).toEqual([...OPERATOR_CLUSTER_RBAC_NAMES].sort());
  expect(names(['Role', 'RoleBinding'])).toEqual([...OPERATOR_ROLE_NAMES].sort());
  expect(install.find((o) => o.kind === 'Namespace')!.metadata.name).toBe(OPERATOR_NAMESPACE);
  expect(documents('crds/fastapiapp.yaml').map((o) => o.metadata.name)).toEqual([CRD_NAME]);
});

const rolloutFiles = ['crds/fastapiapp.yaml', ...yamlFiles('cdk8s/dist'), 'deploy/fastapiapp.yaml'];
test.each(rolloutFiles)('when the deployer applies %s as the rollout job does, then every object is allowed', async (file) => {
  const docs = documents(file).map((o) => (o.kind === 'FastApiApp' ? { ...o, metadata: { ...o.metadata, namespace: appNs } } : o));
  expect(docs.length).toBeGreaterThan(0);
  const into = file === DASHBOARDS_FILE ? grafanaNs : appNs; // `kubectl apply -n "$GRAFANA_NAMESPACE"`
  for (const obj of docs) {
    expect([`${obj.kind}/${obj.metadata.name}`, await applyAsDeployer(obj, into)]).toEqual([`${obj.kind}/${obj.metadata.name}`, { ok: true }]);
  }
});

test('when the builder names the dashboard ConfigMaps, then they are the ones the dashboards file holds, without a namespace', () => {
  const docs = documents(DASHBOARDS_FILE);
  expect(docs.map((o) => o.metadata.name).sort()).toEqual([...DASHBOARD_CONFIGMAP_NAMES].sort());
  for (const o of docs) expect(o.metadata.namespace).toBeUndefined();
});

test('when the deployer applies a ConfigMap in Grafana\'s namespace, then only the dashboards\' names are allowed and Secrets stay unreadable', async () => {
  const cm = (name: string, namespace: string): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } } as Manifest);
  expect((await applyAsDeployer(cm('grafana-datasources', grafanaNs))).status).toBe(403);
  expect(await applyAsDeployer(cm(DASHBOARD_CONFIGMAP_NAMES[0]!, grafanaNs))).toEqual({ ok: true });
  expect((await kubeRequest(deployer, 'GET', `/api/v1/namespaces/${grafanaNs}/secrets`)).status).toBe(403);
});

test('when the deployer waits and gathers diagnostics, then it may read what the workflow reads', async () => {
  const reads = [
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`,
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servicemonitors.monitoring.coreos.com',
    `/apis/apps/v1/namespaces/${OPERATOR_NAMESPACE}/deployments`,
    `/apis/platform.fastapiapp.io/v1alpha1/namespaces/${appNs}/fastapiapps`,
    `/apis/batch/v1/namespaces/${appNs}/jobs`,
    `/api/v1/namespaces/${appNs}/events`,
    `/api/v1/namespaces/${OPERATOR_NAMESPACE}/pods`,
  ];
  for (const p of reads) expect([p, (await kubeRequest(deployer, 'GET', p)).status]).toEqual([p, expect.any(Number)]);
  for (const p of reads) expect([p, (await kubeRequest(deployer, 'GET', p)).status]).not.toEqual([p, 403]);
});

const ns = (namespace: string) => ({ namespace });
test.each([
  ['a ClusterRole of its own with every right', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ci-escalation' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }],
  ['a binding of itself to cluster-admin', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ci-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: DEPLOYER_GROUP }] }],
  ['another CRD changed', { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'servicemonitors.monitoring.coreos.com', labels: { x: 'y' } } }],
  ['a Secret in the app namespace', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', ...ns('APP') }, stringData: { a: 'b' } }],
  ['a Deployment in the app namespace', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', ...ns('APP') }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }],
  ['a Deployment in kube-system', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', ...ns('kube-system') }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }],
  ['the kube-system namespace relabelled', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', labels: { x: 'y' } } }],
])('when the deployer tries %s, then the API server forbids it', async (_what, obj) => {
  const o = JSON.parse(JSON.stringify(obj).replace('"APP"', JSON.stringify(appNs))) as Manifest;
  const res = await applyAsDeployer(o);
  expect(res.ok).toBe(false);
  expect(res.status).toBe(403);
});

test('when the deployer reads Secrets or deletes the CRD, then it is forbidden', async () => {
  expect((await kubeRequest(deployer, 'GET', `/api/v1/namespaces/${appNs}/secrets`)).status).toBe(403);
  expect((await kubeRequest(deployer, 'GET', `/api/v1/namespaces/${OPERATOR_NAMESPACE}/secrets`)).status).toBe(403);
  expect((await kubeRequest(deployer, 'DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}?dryRun=All`)).status).toBe(403);
});
