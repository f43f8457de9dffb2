// Acceptance tests of the envtest control plane: a real kube-apiserver + etcd, reached through
// the admin kubeconfig and per-user client certs from test/harness/envtest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiException, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, RbacAuthorizationV1Api, Watch,
  ApiextensionsV1Api, type KubeConfig, type V1ConfigMap,
} from '@kubernetes/client-node';
import {
  applyYaml, createTestNamespace, installCrdFromFile, kubeconfigForUser, loadKubeConfig, waitForCrdEstablished,
} from '../harness/envtest';
import { crdFilesIn, readCrds } from '../harness/envtest/crds.cjs';
import { waitFor } from '../harness/wait';

const repoRoot = path.resolve(__dirname, '..', '..');

async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

let kc: KubeConfig;
let core: CoreV1Api;
let ns: string;

beforeAll(async () => {
  kc = loadKubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  ns = await createTestNamespace('envtest-harness');
});

describe('when objects are created, then they are stored and served back', () => {
  test('namespace and configmap round-trip', async () => {
    const namespace = await core.readNamespace({ name: ns });
    expect(namespace.metadata?.name).toBe(ns);
    expect(namespace.metadata?.labels?.['fastapiapp.test/envtest']).toBe('true');

    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'round-trip' }, data: { greeting: 'hello' } },
    });
    const cm = await core.readNamespacedConfigMap({ name: 'round-trip', namespace: ns });
    expect(cm.data).toEqual({ greeting: 'hello' });
    expect(cm.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(cm.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  test('a second create of the same name conflicts (409)', async () => {
    const body: V1ConfigMap = { metadata: { name: 'twice' } };
    await core.createNamespacedConfigMap({ namespace: ns, body });
    expect(await statusOf(() => core.createNamespacedConfigMap({ namespace: ns, body }))).toBe(409);
  });
});

test('when a configmap is updated, then a watch from its resourceVersion sees the update', async () => {
  const created = await core.createNamespacedConfigMap({
    namespace: ns, body: { metadata: { name: 'watched' }, data: { v: '1' } },
  });
  const events: Array<{ type: string; data?: Record<string, string> }> = [];
  let controller: AbortController | undefined;
  const seen = new Promise<void>((resolve, reject) => {
    new Watch(kc).watch(`/api/v1/namespaces/${ns}/configmaps`,
      { resourceVersion: created.metadata?.resourceVersion, fieldSelector: 'metadata.name=watched' },
      (type, obj: V1ConfigMap) => {
        events.push({ type, data: obj.data });
        if (type === 'MODIFIED') resolve();
      },
      (err) => (err ? reject(err) : undefined))
      .then((c) => { controller = c; }, reject);
  });
  // client-node's generated patch sends application/json-patch+json: an array of operations.
  await core.patchNamespacedConfigMap({ name: 'watched', namespace: ns, body: [{ op: 'replace', path: '/data/v', value: '2' }] });
  await seen;
  controller?.abort();
  expect(events).toEqual([{ type: 'MODIFIED', data: { v: '2' } }]);
});

describe('server-side apply', () => {
  const configMap = (data: Record<string, string>) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: ns }, data,
  });

  test('when two managers apply different fields, then managedFields records both and a conflicting apply is refused', async () => {
    const [first] = await applyYaml([configMap({ owner: 'a' })], { fieldManager: 'manager-a' });
    expect(first?.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([['manager-a', 'Apply']]);

    const [second] = await applyYaml([configMap({ other: 'b' })], { fieldManager: 'manager-b' });
    expect((second as V1ConfigMap).data).toEqual({ owner: 'a', other: 'b' });
    const owners = Object.fromEntries((second?.metadata?.managedFields ?? []).map((f) => [f.manager, f.fieldsV1]));
    expect(owners['manager-a']).toEqual({ 'f:data': { 'f:owner': {} } });
    expect(owners['manager-b']).toEqual({ 'f:data': { 'f:other': {} } });

    // Without force, taking a field another manager owns is a 409 conflict.
    const client = KubernetesObjectApi.makeApiClient(kc);
    const code = await statusOf(() => client.patch(configMap({ owner: 'b' }), undefined, undefined, 'manager-b', false,
      PatchStrategy.ServerSideApply));
    expect(code).toBe(409);
    expect((await core.readNamespacedConfigMap({ name: 'applied', namespace: ns })).data?.owner).toBe('a');
  });

  test('when YAML text is applied with a namespace option, then the object lands in that namespace', async () => {
    await applyYaml('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n', { namespace: ns });
    expect((await core.readNamespacedConfigMap({ name: 'from-yaml', namespace: ns })).data).toEqual({ k: 'v' });
  });
});

describe('RBAC', () => {
  test('when a user is bound to a read-only Role, then reads are allowed and everything else is refused (403)', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'alice-reads-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      },
    });
    const alice = kubeconfigForUser('alice', ['developers']).makeApiClient(CoreV1Api);

    // RBAC bindings reach the authorizer's cache asynchronously: retried while it answers 403.
    const list = await waitFor('alice may list ConfigMaps', () => alice.listNamespacedConfigMap({ namespace: ns }), 10000, 100);
    expect(list.items.map((c) => c.metadata?.name)).toContain('round-trip');
    expect(await statusOf(() => alice.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'nope' } } }))).toBe(403);
    expect(await statusOf(() => alice.deleteNamespacedConfigMap({ name: 'round-trip', namespace: ns }))).toBe(403);
    expect(await statusOf(() => alice.listNamespacedSecret({ namespace: ns }))).toBe(403);
    expect(await statusOf(() => alice.listNamespacedConfigMap({ namespace: 'default' }))).toBe(403);
  });

  test('when a user has no bindings, then even listing namespaces is refused (403)', async () => {
    const mallory = kubeconfigForUser('mallory').makeApiClient(CoreV1Api);
    expect(await statusOf(() => mallory.listNamespace())).toBe(403);
  });
});

describe('CRDs', () => {
  test('when the run starts, then every CRD in crds/*.yaml and the ServiceMonitor and PrometheusRule CRDs are Established', async () => {
    const names = [...crdFilesIn(path.join(repoRoot, 'crds')).flatMap((f) => readCrds(f)),
      ...readCrds(path.join(repoRoot, 'test/harness/envtest/servicemonitor-crd.yaml')),
      ...readCrds(path.join(repoRoot, 'test/harness/envtest/prometheusrule-crd.yaml'))]
      .map((crd) => (crd.metadata as { name: string }).name);
    expect(names).toContain('servicemonitors.monitoring.coreos.com');
    expect(names).toContain('prometheusrules.monitoring.coreos.com');
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    for (const name of names) {
      const crd = await ext.readCustomResourceDefinition({ name });
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
  });

  test('when a ServiceMonitor is created, then the API server stores it and enforces the required selector', async () => {
    const objects = kc.makeApiClient(CustomObjectsApi);
    const sm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'app' },
      spec: { selector: { matchLabels: { app: 'x' } }, endpoints: [{ port: 'http', path: '/metrics' }] } };
    await objects.createNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: ns, plural: 'servicemonitors', body: sm });
    const stored = await objects.getNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: ns, plural: 'servicemonitors', name: 'app' });
    expect((stored as typeof sm).spec.endpoints).toEqual([{ port: 'http', path: '/metrics' }]);
    const invalid = { ...sm, metadata: { name: 'no-selector' }, spec: { endpoints: [] } };
    expect(await statusOf(() => objects.createNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: ns, plural: 'servicemonitors', body: invalid }))).toBe(422);
  });

  test('when installCrdFromFile is given a new CRD, then it becomes Established and serves its kind', async () => {
    const group = `g${Date.now().toString(36)}.envtest.test`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'crd-')), 'widget.yaml');
    fs.writeFileSync(file, [
      'apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition',
      `metadata: { name: widgets.${group} }`,
      'spec:', `  group: ${group}`, '  scope: Namespaced',
      '  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }',
      '  versions:', '    - name: v1', '      served: true', '      storage: true',
      '      schema: { openAPIV3Schema: { type: object, properties: { spec: { type: object, properties: { size: { type: integer, minimum: 1 } } } } } }',
    ].join('\n'));
    expect(await installCrdFromFile(file)).toEqual([`widgets.${group}`]);
    await waitForCrdEstablished(`widgets.${group}`);
    const objects = kc.makeApiClient(CustomObjectsApi);
    const body = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } };
    await objects.createNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets', body });
    const bad = { ...body, metadata: { name: 'w0' }, spec: { size: 0 } };
    expect(await statusOf(() => objects.createNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets', body: bad }))).toBe(422);
  });
});
