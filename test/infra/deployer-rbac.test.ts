// The deploy role's Kubernetes RBAC (infra/deployer-rbac.ts) on the real API server. The rollout
// job applies only the committed FastApiApp and reads diagnostics; the CRD and the operator are
// installed by the operator job as cluster-admin. So a user in the deployer group, asked about
// through SubjectAccessReview, may not escalate, bind or impersonate with ANY ClusterRole or Role
// that exists on the server (the generated manifests' and the built-in ones), and may not change
// the operator's Deployment; real requests for the same are refused with 403.
import path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { applyYaml, createTestNamespace, installCrdFromFile, kubeconfigForUser, loadKubeConfig } from '../harness/envtest';
import { kubeOk, kubeRequest } from '../api/kube-http';
import { applyManifest, applyRequest, documents, yamlFiles, type Manifest } from '../cdk8s/manifests';
import { DEPLOYER_APP_ROLE, DEPLOYER_GROUP, deployerRbac } from '../../infra/deployer-rbac';

const root = path.resolve(__dirname, '../..');
const OPERATOR_NAMESPACE = 'fastapiapp-system';
const OPERATOR = 'fastapiapp-operator';
const USER = 'ci-deployer';
const GROUPS = [DEPLOYER_GROUP, 'system:authenticated'];

let admin: KubeConfig;
let deployer: KubeConfig;
let appNs: string;
const generated = yamlFiles('cdk8s/dist').flatMap((f) => documents(f));

type Attributes = { verb: string; group?: string; resource: string; subresource?: string; name?: string; namespace?: string };
/** Whether the API server's authorizer allows the deployer `a` (SubjectAccessReview, as the admin). */
async function allowed(a: Attributes): Promise<boolean> {
  const review = await kubeOk(admin, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: USER, groups: GROUPS, resourceAttributes: a } },
  });
  return review.status.allowed === true;
}
/** The attributes of `all` that the deployer is allowed, in batches. */
async function allowedOf(all: Attributes[]): Promise<Attributes[]> {
  const out: Attributes[] = [];
  for (let i = 0; i < all.length; i += 25) {
    const batch = all.slice(i, i + 25);
    const answers = await Promise.all(batch.map(allowed));
    out.push(...batch.filter((_, j) => answers[j]));
  }
  return out;
}

beforeAll(async () => {
  admin = loadKubeConfig();
  await installCrdFromFile(path.join(root, 'crds/fastapiapp.yaml'));
  await installCrdFromFile(path.join(root, 'test/cdk8s/fixtures/prometheusrule-crd.yaml'));
  await installCrdFromFile(path.join(root, 'test/harness/envtest/servicemonitor-crd.yaml'));
  appNs = await createTestNamespace('deployer', admin);
  // What the operator job installs as cluster-admin: every generated manifest (its RBAC included).
  const namespacesFirst = [...generated].sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  for (const obj of namespacesFirst) await applyManifest(admin, obj, { namespace: appNs, fieldManager: 'operator-job-test' });
  // What Pulumi installs: the deployer's role and bindings, and the operator's Secret reader binding.
  await applyYaml(deployerRbac({ appNamespaces: [appNs] }) as unknown as KubernetesObject[], { fieldManager: 'pulumi-test' });
  deployer = kubeconfigForUser(USER, [DEPLOYER_GROUP]);
});

test('when the builder is read, then no rule names RBAC, impersonation, Secrets, Deployments or a wildcard, and nothing is bound cluster-wide', () => {
  const objs = deployerRbac({ appNamespaces: ['a', 'b'] });
  expect(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
    `ClusterRole//${DEPLOYER_APP_ROLE}`, 'RoleBinding/a/fastapiapp:deployer', 'RoleBinding/b/fastapiapp:deployer',
  ]);
  const rules = objs.flatMap((o) => o.rules ?? []);
  for (const r of rules) {
    expect(r.apiGroups).not.toContain('rbac.authorization.k8s.io');
    expect(r.apiGroups).not.toContain('apps');
    expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
    expect(r.resources).not.toContain('secrets');
    expect(r.verbs).not.toEqual(expect.arrayContaining(['escalate']));
    expect(r.verbs.some((v) => ['escalate', 'bind', 'impersonate', 'delete', 'deletecollection'].includes(v))).toBe(false);
  }
});

test('when the deployer applies deploy/fastapiapp.yaml as the rollout job does, then the API server accepts it', async () => {
  const [app] = documents('deploy/fastapiapp.yaml');
  const res = await applyRequest(deployer, { ...app, metadata: { ...app!.metadata, namespace: appNs } }, { namespace: appNs, dryRun: true, fieldManager: 'deploy-workflow' });
  expect([res.status < 300, res.body?.message]).toEqual([true, undefined]); // 201 on an empty namespace: created (dry run)
});

test('when the deployer waits and gathers diagnostics, then it may read what the rollout job reads', async () => {
  const reads = [
    `/apis/platform.fastapiapp.io/v1alpha1/namespaces/${appNs}/fastapiapps`,
    `/apis/batch/v1/namespaces/${appNs}/jobs`,
    `/api/v1/namespaces/${appNs}/events`,
    `/api/v1/namespaces/${appNs}/pods`,
  ];
  for (const p of reads) expect([p, (await kubeRequest(deployer, 'GET', p)).status]).toEqual([p, 200]);
});

test('when every ClusterRole and Role on the API server is tried, then the deployer may escalate or bind none of them, anywhere', async () => {
  const clusterRoles: string[] = (await kubeOk(admin, 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles')).items.map((o: Manifest) => o.metadata.name);
  const roles: Array<[string, string]> = (await kubeOk(admin, 'GET', '/apis/rbac.authorization.k8s.io/v1/roles')).items.map((o: Manifest) => [o.metadata.namespace, o.metadata.name]);
  // The tried set holds every role the generated manifests create, the built-ins and the deployer's own.
  const fromManifests = generated.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name as string);
  expect(fromManifests.length).toBeGreaterThanOrEqual(3);
  expect(clusterRoles).toEqual(expect.arrayContaining([...fromManifests, 'cluster-admin', 'admin', 'edit', DEPLOYER_APP_ROLE]));
  expect(roles).toEqual(expect.arrayContaining(generated.filter((o) => o.kind === 'Role').map((o) => [o.metadata.namespace, o.metadata.name])));
  expect(roles.length).toBeGreaterThan(0);

  const where = [undefined, appNs, OPERATOR_NAMESPACE, 'kube-system'];
  const attempts: Attributes[] = [
    ...clusterRoles.flatMap((name) => where.flatMap((namespace) => ['escalate', 'bind'].map((verb) => ({ verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles', name, namespace })))),
    ...roles.flatMap(([namespace, name]) => ['escalate', 'bind'].map((verb) => ({ verb, group: 'rbac.authorization.k8s.io', resource: 'roles', name, namespace }))),
    // and no RBAC object may be written at all, so no binding to anything
    ...where.flatMap((namespace) => ['create', 'update', 'patch'].flatMap((verb) => ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']
      .map((resource) => ({ verb, group: 'rbac.authorization.k8s.io', resource, namespace })))),
    ...where.flatMap((namespace) => ([['', 'users'], ['', 'groups'], ['', 'serviceaccounts'], ['authentication.k8s.io', 'uids'], ['authentication.k8s.io', 'userextras']] as const)
      .map(([group, resource]) => ({ verb: 'impersonate', group, resource, namespace }))),
  ];
  expect(attempts.length).toBeGreaterThan(clusterRoles.length * 8);
  expect(await allowedOf(attempts)).toEqual([]);
  // The reviews are answered by the same authorizer that allows the deployer's own work:
  expect(await allowed({ verb: 'patch', group: 'platform.fastapiapp.io', resource: 'fastapiapps', namespace: appNs, name: 'items-app' })).toBe(true);
});

test('when the deployer tries to change the operator\'s Deployment or run as its ServiceAccount, then every way is refused', async () => {
  const ns = OPERATOR_NAMESPACE;
  const deployment = (verb: string, subresource?: string) => ({ verb, group: 'apps', resource: 'deployments', subresource, name: OPERATOR, namespace: ns });
  const attempts: Attributes[] = [
    ...['update', 'patch', 'delete'].map((v) => deployment(v)),
    deployment('update', 'scale'), deployment('patch', 'scale'), deployment('patch', 'status'),
    { verb: 'create', group: 'apps', resource: 'deployments', namespace: ns },
    { verb: 'create', resource: 'pods', namespace: ns },
    { verb: 'create', group: 'batch', resource: 'jobs', namespace: ns },
    { verb: 'create', resource: 'serviceaccounts', subresource: 'token', name: OPERATOR, namespace: ns },
    { verb: 'update', resource: 'serviceaccounts', name: OPERATOR, namespace: ns },
    { verb: 'patch', resource: 'configmaps', namespace: ns },
    { verb: 'patch', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', name: 'fastapiapps.platform.fastapiapp.io' },
    { verb: 'get', resource: 'secrets', namespace: appNs },
    { verb: 'list', resource: 'secrets', namespace: ns },
    { verb: 'create', resource: 'pods', namespace: appNs },
    { verb: 'create', resource: 'pods', subresource: 'exec', namespace: appNs },
    { verb: 'patch', group: 'apps', resource: 'deployments', namespace: appNs },
  ];
  expect(await allowedOf(attempts)).toEqual([]);

  // A real patch of the installed operator Deployment (the image a server-side apply would set) is refused.
  const live = await kubeOk(admin, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/${OPERATOR}`);
  const swap: Manifest = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: OPERATOR, namespace: ns },
    spec: { template: { spec: { containers: [{ name: live.spec.template.spec.containers[0].name, image: 'attacker/any:latest' }] } } } };
  expect((await applyRequest(deployer, swap, { namespace: ns, dryRun: true, fieldManager: 'deploy-test' })).status).toBe(403);
  // ...and so is binding itself to the operator's ClusterRole in an app namespace.
  const bind: Manifest = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'grab', namespace: appNs },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: DEPLOYER_GROUP }] };
  expect((await applyRequest(deployer, bind, { namespace: appNs, dryRun: true, fieldManager: 'deploy-test' })).status).toBe(403);
  expect((await kubeRequest(deployer, 'GET', `/api/v1/namespaces/${appNs}/secrets`)).status).toBe(403);
});
