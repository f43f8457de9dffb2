// Every manifest a user applies from the repository (cdk8s/dist/, crds/examples/) is accepted by
// the real API server: server-side apply with dryRun=All. The operator's pod template also passes
// Pod Security admission at the restricted level, and its RBAC grants what the operator does.
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, installCrdFromFile, loadKubeConfig } from '../harness/envtest';
import { kubeOk, kubeRequest } from '../api/kube-http';
import { applyManifest, applyRequest, documents, yamlFiles } from './manifests';

const root = path.resolve(__dirname, '..', '..');
const OPERATOR_NAMESPACE = 'fastapiapp-system';
const OPERATOR_SA = `system:serviceaccount:${OPERATOR_NAMESPACE}:fastapiapp-operator`;

let kc: KubeConfig;
let exampleNs: string;

beforeAll(async () => {
  kc = loadKubeConfig();
  await installCrdFromFile(path.join(root, 'crds/fastapiapp.yaml'));
  await installCrdFromFile(path.join(__dirname, 'fixtures/prometheusrule-crd.yaml'));
  // Namespaced install objects need their namespace to exist even for a dry run.
  const namespace = documents('cdk8s/dist/operator.yaml').find((m) => m.kind === 'Namespace')!;
  await applyManifest(kc, namespace, { namespace: OPERATOR_NAMESPACE });
  exampleNs = await createTestNamespace('examples', kc);
});

const files = [...yamlFiles('cdk8s/dist'), ...yamlFiles('crds'), ...yamlFiles('crds/examples')];

describe('server-side dry run of the committed manifests', () => {
  it('when listed, then there are install manifests, the CRD and the examples', () => {
    expect(files).toEqual(expect.arrayContaining(['cdk8s/dist/operator.yaml', 'crds/fastapiapp.yaml', 'crds/examples/fastapiapp.yaml']));
  });

  it.each(files)('when %s is applied with dryRun=All, then every object is accepted', async (file) => {
    const docs = documents(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const obj of docs) {
      const res = await applyRequest(kc, obj, { namespace: exampleNs, dryRun: true });
      expect({ object: `${obj.kind}/${obj.metadata.name}`, status: res.status, message: res.body?.message })
        .toEqual({ object: `${obj.kind}/${obj.metadata.name}`, status: expect.any(Number), message: undefined });
      expect(res.status).toBeLessThan(300);
      expect(res.warnings).toEqual([]);
    }
  });

  it('when the operator pod template is created as a Pod in a restricted namespace, then Pod Security admits it', async () => {
    const deployment = documents('cdk8s/dist/operator.yaml').find((m) => m.kind === 'Deployment')!;
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'operator-pss', labels: deployment.spec.template.metadata.labels }, spec: deployment.spec.template.spec };
    const res = await kubeRequest(kc, 'POST', `/api/v1/namespaces/${OPERATOR_NAMESPACE}/pods?dryRun=All`, { body: pod });
    expect(res.body?.message).toBeUndefined();
    expect(res.status).toBe(201);
    expect(res.warnings).toEqual([]);
  });
});

describe('the operator RBAC on the API server', () => {
  beforeAll(async () => {
    // Really apply the RBAC objects so the authorizer can be asked about the operator's account.
    for (const obj of documents('cdk8s/dist/operator.yaml').filter((m) => /Role|ServiceAccount/.test(m.kind))) {
      await applyManifest(kc, obj, { namespace: OPERATOR_NAMESPACE });
    }
  });

  async function allowed(attrs: Record<string, string>): Promise<boolean> {
    const review = await kubeOk(kc, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: OPERATOR_SA,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${OPERATOR_NAMESPACE}`, 'system:authenticated'],
          resourceAttributes: attrs,
        },
      },
    });
    return review.status.allowed === true;
  }

  const granted: [string, string, string, string?][] = [
    ['platform.fastapiapp.io', 'fastapiapps', 'watch'],
    ['platform.fastapiapp.io', 'fastapiapps', 'patch', 'status'],
    ['apps', 'deployments', 'patch'],
    ['apps', 'deployments', 'create'],
    ['apps', 'deployments', 'delete'],
    ['', 'services', 'delete'],
    ['', 'services', 'patch'],
    ['batch', 'jobs', 'create'],
    ['monitoring.coreos.com', 'servicemonitors', 'delete'],
    ['monitoring.coreos.com', 'prometheusrules', 'patch'],
    ['monitoring.coreos.com', 'prometheusrules', 'delete'],
    ['', 'events', 'create'],
    ['policy', 'poddisruptionbudgets', 'patch'],
    ['networking.k8s.io', 'networkpolicies', 'patch'],
  ];
  // Four entries per row: jest would take a missing fourth as the `done` callback.
  it.each(granted.map(([g, r, v, sub]) => [g, r, v, sub ?? ''] as const))('when the operator asks to use %s %s (%s), then it is allowed in any namespace', async (group, resource, verb, subresource) => {
    expect(await allowed({ group, resource, verb, namespace: 'some-team', ...(subresource ? { subresource } : {}) })).toBe(true);
  });

  const denied: [string, string, string][] = [
    // Secrets only where a RoleBinding grants the secret-reader ClusterRole (operator-rbac.test.ts)
    ['', 'secrets', 'list'],
    ['', 'secrets', 'watch'],
    ['', 'secrets', 'get'],
    ['', 'pods', 'create'],
    ['platform.fastapiapp.io', 'fastapiapps', 'delete'],
    ['rbac.authorization.k8s.io', 'clusterroles', 'create'],
    ['apiextensions.k8s.io', 'customresourcedefinitions', 'create'],
    ['apiextensions.k8s.io', 'customresourcedefinitions', 'watch'],
    ['', 'secrets', 'update'],
    ['', 'pods', 'get'],
    // no get on children: whether a child's name is taken comes from a metadata-only watch
    ['', 'services', 'get'],
    ['apps', 'deployments', 'get'],
    ['', 'events', 'patch'],
  ];
  it.each(denied)('when the operator asks to use %s %s (%s), then it is denied', async (group, resource, verb) => {
    expect(await allowed({ group, resource, verb, namespace: 'some-team' })).toBe(false);
  });

  it('when the operator renews its Lease, then it may in its namespace only', async () => {
    const lease = { group: 'coordination.k8s.io', resource: 'leases', verb: 'update' };
    expect(await allowed({ ...lease, namespace: OPERATOR_NAMESPACE })).toBe(true);
    expect(await allowed({ ...lease, namespace: 'kube-system' })).toBe(false);
  });
});
