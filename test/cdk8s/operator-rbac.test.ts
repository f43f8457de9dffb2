// The shipped RBAC is enough for the real operator: it runs in-process as the operator's
// ServiceAccount (a client cert for system:serviceaccount:fastapiapp-system:fastapiapp-operator,
// bound only by the ClusterRole/Role from cdk8s/dist/operator.yaml, and in the app namespace the
// secret-reader RoleBinding crds/examples/secret.yaml ships), takes its Lease, creates every kind of
// child and writes status, with no request forbidden. Nothing cluster-wide grants Secret reads: in a
// namespace without the RoleBinding the app says SecretNotWatched.
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, kubeconfigForUser, loadKubeConfig } from '../harness/envtest';
import { loadConfig } from '../../operator/src/config';
import { startOperator, type OperatorHandle } from '../../operator/src/operator';
import { buildMigrationJob, childName, digestSecret, WATCHED_SECRET_LABEL } from '../../operator/src/desired';
import { fastApiApp, minimalSpec } from '../api/fixtures';
import { appsPath, kubeOk, kubeRequest } from '../api/kube-http';
import { waitFor } from '../harness/wait';
import { memoryLogger } from '../operator/support/informer-kit';
import { applyManifest, documents, type Manifest } from './manifests';

const OPERATOR_NAMESPACE = 'fastapiapp-system';

const install = documents('cdk8s/dist/operator.yaml');
/** The namespace, the operator's identity and its RBAC: what this test applies (not the Deployment). */
const IDENTITY_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

let admin: KubeConfig;
let ns: string;
/** a watched namespace without the secret-reader RoleBinding */
let unbound: string;
let operator: OperatorHandle | undefined;
const log = memoryLogger();

beforeAll(async () => {
  admin = loadKubeConfig();
  for (const obj of install.filter((m) => IDENTITY_KINDS.has(m.kind))) await applyManifest(admin, obj, { namespace: OPERATOR_NAMESPACE });
  ns = await createTestNamespace('operator-rbac', admin);
  unbound = await createTestNamespace('operator-rbac-nosecret', admin);
  const binding = documents('crds/examples/secret.yaml').find((m) => m.kind === 'RoleBinding')!;
  await applyManifest(admin, binding, { namespace: ns });
  const sa = install.find((m) => m.kind === 'ServiceAccount')!;
  const asOperator = kubeconfigForUser(`system:serviceaccount:${OPERATOR_NAMESPACE}:${sa.metadata.name}`, [
    'system:serviceaccounts',
    `system:serviceaccounts:${OPERATOR_NAMESPACE}`,
    'system:authenticated',
  ]);
  const config = loadConfig({
    WATCH_NAMESPACES: `${ns},${unbound}`,
    LEADER_ELECT: 'true',
    LEADER_ELECTION_NAMESPACE: OPERATOR_NAMESPACE,
    LEADER_ELECTION_ID: `rbac-test-${ns}`,
    POD_NAME: 'rbac-test',
    METRICS_ADDR: '127.0.0.1:0',
    LOG_LEVEL: 'debug',
  });
  operator = await startOperator({ config: { ...config, crdPollMs: 1000 }, kubeConfig: asOperator, logger: log.logger });
});

afterAll(async () => {
  await operator?.stop();
});

const eventually = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 30000, 200);

const exists = (p: string) => async () => ((await kubeRequest(admin, 'GET', p)).status === 200 ? true : undefined);

describe('the operator running with only the shipped RBAC', () => {
  it('when FastApiApps are created, then it leads, creates every kind of child and writes status without a forbidden request', async () => {
    const direct = fastApiApp({ migration: { enabled: false }, slo: { availability: { objective: '99.9' } } }, 'direct', ns);
    const migrated = fastApiApp({}, 'migrated', ns);
    // the database Secret both apps reference, labelled for the operator (without it the operator reports SecretNotFound and starts nothing)
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'items-db', namespace: ns, labels: { [WATCHED_SECRET_LABEL]: 'true' } }, data: { DATABASE_URL: Buffer.from('postgres://app:pw@db/items').toString('base64') } };
    await kubeOk(admin, 'POST', `/api/v1/namespaces/${ns}/secrets`, { body: secret });
    const secretHash = digestSecret(secret).keyHashes.DATABASE_URL;
    for (const app of [direct, migrated]) {
      await kubeOk(admin, 'POST', appsPath(ns), { body: { apiVersion: app.apiVersion, kind: app.kind, metadata: { name: app.metadata.name }, spec: minimalSpec(app.spec) } });
    }
    await eventually('leadership', async () => (operator!.isLeader() ? true : undefined));
    const name = childName(direct);
    await eventually('Deployment', exists(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`));
    await eventually('Service', exists(`/api/v1/namespaces/${ns}/services/${name}`));
    await eventually('ServiceMonitor', exists(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/${name}`));
    await eventually('PrometheusRule (spec.slo)', exists(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/prometheusrules/${name}`));
    await eventually('migration Job', exists(`/apis/batch/v1/namespaces/${ns}/jobs/${buildMigrationJob(migrated, secretHash).metadata!.name}`));
    const status = await eventually('status', async () => (await kubeOk(admin, 'GET', appsPath(ns, name))).status?.observedGeneration);
    expect(status).toBeGreaterThanOrEqual(1);
    const lease = await kubeOk(admin, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/rbac-test-${ns}`);
    expect(lease.spec.holderIdentity).toBe('rbac-test');

    // the app's own SecretWatched says the marked-Secret watch works there
    const app = await kubeOk(admin, 'GET', appsPath(ns, name));
    expect(app.status.conditions.find((c: { type: string }) => c.type === 'SecretWatched')).toMatchObject({ status: 'True', reason: 'SecretWatched' });

    const forbidden = log.records.filter((l) => l.namespace !== unbound && /forbidden|\b403\b/i.test(JSON.stringify(l)));
    expect(forbidden).toEqual([]);
  });

  it('when the API server is asked, then the operator may not list or watch Secrets cluster-wide, only in the bound namespace', async () => {
    const can = async (verb: string, namespace?: string) => (await kubeOk(admin, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
        spec: { user: `system:serviceaccount:${OPERATOR_NAMESPACE}:fastapiapp-operator`, groups: ['system:serviceaccounts', 'system:authenticated'],
          resourceAttributes: { verb, resource: 'secrets', ...(namespace ? { namespace } : {}) } },
      },
    })).status.allowed as boolean;
    expect(await can('list')).toBe(false);
    expect(await can('watch')).toBe(false);
    expect(await can('list', unbound)).toBe(false);
    expect(await can('get', ns)).toBe(false);
    expect(await can('list', ns)).toBe(true);
  });

  it('when nothing binds the secret reader in a namespace, then its app says SecretNotWatched and SecretNotFound naming the ClusterRole to bind, and gets no pods', async () => {
    const app = fastApiApp({ migration: { enabled: false } }, 'unbound', unbound);
    await kubeOk(admin, 'POST', appsPath(unbound), { body: { apiVersion: app.apiVersion, kind: app.kind, metadata: { name: 'unbound' }, spec: minimalSpec(app.spec) } });
    const cond = await eventually('SecretWatched', async () => (await kubeOk(admin, 'GET', appsPath(unbound, 'unbound'))).status?.conditions
      ?.find((c: { type: string }) => c.type === 'SecretWatched'));
    expect(cond).toMatchObject({ status: 'False', reason: 'SecretNotWatched' });
    expect(cond.message).toContain('may not list Secrets in namespace');
    const degraded = await eventually('Degraded', async () => (await kubeOk(admin, 'GET', appsPath(unbound, 'unbound'))).status?.conditions
      ?.find((c: { type: string; status: string }) => c.type === 'Degraded' && c.status === 'True'));
    expect(degraded).toMatchObject({ reason: 'SecretNotFound', message: expect.stringContaining('fastapiapp-operator-secret-reader') });
    // the pass that wrote that status also applied the Service; the Deployment waits for the Secret
    await eventually('Service', exists(`/api/v1/namespaces/${unbound}/services/${childName(app)}`));
    expect((await kubeRequest(admin, 'GET', `/apis/apps/v1/namespaces/${unbound}/deployments/${childName(app)}`)).status).toBe(404);
  });
});

describe('the shipped RBAC', () => {
  it('grants no cluster-wide Secret access: only the secret-reader ClusterRole names Secrets, and no ClusterRoleBinding binds it', () => {
    const secretRules = (m: Manifest) => (m.rules ?? []).filter((r: { resources?: string[] }) => r.resources?.some((x) => x === 'secrets' || x === '*'));
    const roles = install.filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role');
    expect(roles.filter((m) => secretRules(m).length > 0).map((m) => m.metadata.name)).toEqual(['fastapiapp-operator-secret-reader']);
    expect(secretRules(roles.find((m) => m.metadata.name === 'fastapiapp-operator-secret-reader')!).flatMap((r: { verbs: string[] }) => r.verbs).sort()).toEqual(['list', 'watch']);
    const clusterBound = install.filter((m) => m.kind === 'ClusterRoleBinding').map((b) => b.roleRef.name);
    expect(clusterBound).not.toContain('fastapiapp-operator-secret-reader');
    expect(clusterBound.length).toBeGreaterThan(0);
  });
});
