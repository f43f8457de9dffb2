// The builders' output against the real API server: each child is a valid object (server-side
// dry run, including long names and unusual tags), and the app and migration pods pass Pod
// Security admission at the restricted level.
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import type { FastApiApp } from '../../operator/src/api/types';
import { buildDeployment, buildMigrationJob, buildService, buildServiceMonitor, imageRef } from '../../operator/src/desired';
import { minimalSpec } from './fixtures';
import { appsPath, kubeOk, kubeRequest } from './kube-http';

let kc: KubeConfig;
let ns: string;

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('api-children', kc);
  await kubeOk(kc, 'PATCH', `/api/v1/namespaces/${ns}`, {
    contentType: 'application/merge-patch+json',
    body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } },
  });
});

/** Creates the FastApiApp for real (so owner references carry a real uid) and returns it as stored. */
async function createApp(name: string, spec = minimalSpec()): Promise<FastApiApp> {
  return kubeOk(kc, 'POST', appsPath(ns), { body: { apiVersion: 'platform.fastapiapp.io/v1alpha1', kind: 'FastApiApp', metadata: { name }, spec } });
}

const paths: Record<string, string> = {
  Deployment: 'apis/apps/v1/namespaces/NS/deployments',
  Service: 'api/v1/namespaces/NS/services',
  Job: 'apis/batch/v1/namespaces/NS/jobs',
  ServiceMonitor: 'apis/monitoring.coreos.com/v1/namespaces/NS/servicemonitors',
  Pod: 'api/v1/namespaces/NS/pods',
};

async function dryRunCreate(obj: { kind?: string }) {
  const res = await kubeRequest(kc, 'POST', `/${paths[obj.kind!]!.replace('NS', ns)}?dryRun=All&fieldValidation=Strict`, { body: obj });
  return { status: res.status, message: res.body?.message, warnings: res.warnings };
}

describe('children built for a stored FastApiApp', () => {
  it.each([
    ['a default app', 'items', minimalSpec()],
    ['a 63-character name and a long odd tag', `a${'b'.repeat(61)}c`, minimalSpec({ tag: `${'v'.repeat(80)}-` })],
    ['every option set', 'full', minimalSpec({
      replicas: 0,
      port: 9000,
      env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'A', value: 'b' }],
      resources: { requests: { cpu: 1, memory: '1Gi' } },
      service: { type: 'NodePort', port: 8080 },
      migration: { command: ['npm', 'run', 'migrate'], backoffLimit: 0, activeDeadlineSeconds: 30 },
      monitoring: { path: '/prom', interval: '1m30s' },
    })],
  ])('when built for %s, then the API server accepts every child with strict field validation', async (_label, name, spec) => {
    const app = await createApp(name, spec);
    const children = [buildDeployment(app, imageRef(app)), buildService(app), buildMigrationJob(app), buildServiceMonitor(app)];
    for (const child of children) {
      expect({ kind: child.kind, ...(await dryRunCreate(child)) }).toEqual({ kind: child.kind, status: 201, message: undefined, warnings: [] });
    }
  });

  it('when the app and migration pod templates are created as Pods in a restricted namespace, then Pod Security admits them', async () => {
    const app = await createApp('pss');
    for (const template of [buildDeployment(app, imageRef(app)).spec!.template, buildMigrationJob(app).spec!.template]) {
      const spec = { ...template.spec!, restartPolicy: template.spec!.restartPolicy ?? 'Always' };
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pss-check', labels: template.metadata!.labels }, spec };
      expect(await dryRunCreate(pod)).toEqual({ status: 201, message: undefined, warnings: [] });
    }
  });

  it('when a pod template breaks the restricted profile, then the same check rejects it (the check has teeth)', async () => {
    const app = await createApp('pss-negative');
    const template = buildDeployment(app, imageRef(app)).spec!.template;
    const container = { ...template.spec!.containers[0]!, securityContext: { ...template.spec!.containers[0]!.securityContext, allowPrivilegeEscalation: true } };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pss-bad' }, spec: { ...template.spec!, containers: [container] } };
    const res = await dryRunCreate(pod);
    expect(res.status).toBe(403);
    expect(res.message).toContain('allowPrivilegeEscalation');
  });
});
