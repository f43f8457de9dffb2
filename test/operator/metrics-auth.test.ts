// The operator's /metrics over HTTPS, authorised through the real API server as kubebuilder v4's
// filters do (TokenReview, then SubjectAccessReview for get on /metrics): no token or a bad one
// -> 401, a ServiceAccount without the right -> 403, one bound to the shipped metrics-reader
// ClusterRole -> 200 with the metrics. The plain probe port no longer serves /metrics.
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import { documents, applyManifest } from '../cdk8s/manifests';
import { kubeOk } from '../api/kube-http';
import { METRICS_READER_ROLE } from '../../cdk8s/charts/operator';
import { startTestOperator, probe, type TestOperator } from './support/operator';

let kc: KubeConfig;
let ns: string;
let op: TestOperator | undefined;
const tokens: Record<string, string> = {};

/** A bound token for a new ServiceAccount (TokenRequest API). */
async function serviceAccountToken(name: string): Promise<string> {
  await kubeOk(kc, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
  const tr = await kubeOk(kc, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
  });
  return tr.status.token as string;
}

beforeAll(async () => {
  kc = loadKubeConfig();
  ns = await createTestNamespace('metrics-auth', kc);
  const reader = documents('cdk8s/dist/operator.yaml').find((m) => m.kind === 'ClusterRole' && m.metadata.name === METRICS_READER_ROLE)!;
  await applyManifest(kc, reader, { namespace: ns });
  tokens.scraper = await serviceAccountToken('scraper');
  tokens.nobody = await serviceAccountToken('nobody');
  await kubeOk(kc, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `metrics-reader-${ns}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: METRICS_READER_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: ns }],
    },
  });
  op = await startTestOperator(kc, ns, { secureMetricsAddr: '127.0.0.1:0' });
});

afterAll(async () => {
  await op?.stop();
  await kubeOk(kc, 'DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/metrics-reader-${ns}`).catch(() => undefined);
});

/** GET /metrics over TLS; the certificate is the operator's self-signed one, checked below rather than trusted. */
function scrape(token?: string): Promise<{ status: number; body: string; headers: Record<string, unknown>; san?: string }> {
  const [host, port] = [op!.secureMetricsAddress!.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(op!.secureMetricsAddress!)![1])];
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path: '/metrics', rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const san = (res.socket as TLSSocket).getPeerCertificate().subjectaltname;
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers, san }));
    });
    req.on('error', reject);
  });
}

describe('the operator /metrics over HTTPS', () => {
  it('when scraped without a token, then 401 with a Bearer challenge and no metrics', async () => {
    const res = await scrape();
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).not.toContain('controller_runtime');
    expect(res.san).toContain('IP Address:127.0.0.1');
  });

  it('when scraped with a token the API server does not know, then 401 invalid_token', async () => {
    const res = await scrape('not-a-real-token');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('when scraped by a ServiceAccount without get on /metrics, then 403', async () => {
    const res = await scrape(tokens.nobody);
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('controller_runtime');
  });

  it('when scraped by a ServiceAccount bound to the metrics-reader ClusterRole, then 200 with the operator metrics', async () => {
    const res = await scrape(tokens.scraper);
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^# HELP controller_runtime_reconcile_total /m);
    // and the plain HTTP port serves probes only
    expect((await probe(op!, '/metrics')).status).toBe(404);
    expect((await probe(op!, '/healthz')).status).toBe(200);
  });
});
