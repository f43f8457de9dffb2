// The app's NetworkPolicy: what the pure builder allows, and that the real API server accepts both
// the spec.networkPolicy fields (CRD validation) and the policies built from them. The test
// clusters' bridge CNI does not enforce NetworkPolicy, so enforcement itself is not tested here.
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, loadKubeConfig } from '../harness/envtest';
import type { FastApiApp, NetworkPolicyOptions } from '../../operator/src/api/types';
import { buildNetworkPolicy, withDefaults } from '../../operator/src/desired';
import { fastApiApp, minimalSpec } from './fixtures';
import { appsPath, kubeOk, kubeRequest } from './kube-http';

const policyOf = (np?: NetworkPolicyOptions) => buildNetworkPolicy(fastApiApp(np ? { networkPolicy: np } : {}));
// the wire shape: client-node's model calls `from` `_from`
type Rule = { from: Array<Record<string, unknown>>; ports: Array<{ protocol: string; port: number | string }> };
const ingress = (np?: NetworkPolicyOptions) => policyOf(np).spec!.ingress as unknown as Rule[];

describe('buildNetworkPolicy (pure)', () => {
  it('when nothing is set, then only the app namespace and the monitoring namespace reach the app port and egress is left open', () => {
    const p = policyOf();
    expect(p.metadata).toMatchObject({ name: 'items', namespace: 'shop', ownerReferences: [{ kind: 'FastApiApp', controller: true }] });
    expect(p.spec!.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'fastapiapp', 'app.kubernetes.io/instance': 'items' } });
    expect(p.spec!.policyTypes).toEqual(['Ingress']);
    expect(p.spec!.egress).toBeUndefined();
    expect(ingress()).toEqual([
      { from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 'http' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 'metrics' }] }, // /metrics is only on the metrics port
    ]);
  });

  it('when pods, namespaces and CIDRs are allowed, then exactly those are the sources of the app port', () => {
    const [app, monitoring] = ingress({ allowedPodLabels: { role: 'frontend' }, allowedNamespaces: ['ingress-nginx'], allowedCIDRs: ['10.0.0.0/16'], monitoringNamespace: 'prom' });
    expect(app!.from).toEqual([
      { podSelector: { matchLabels: { role: 'frontend' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
      { ipBlock: { cidr: '10.0.0.0/16' } },
    ]);
    expect(monitoring!.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prom' } } }]);
  });

  it('when the database is named, then egress is limited to it, cluster DNS and the issuer', () => {
    const p = policyOf({ database: { cidr: '10.1.0.0/24' }, issuer: { cidrs: ['192.0.2.0/24'] } });
    expect(p.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(p.spec!.egress).toEqual([
      { to: [{ ipBlock: { cidr: '10.1.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      { to: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ]);
    const inCluster = policyOf({ database: { podLabels: { app: 'postgres' }, port: 6432 } });
    expect(inCluster.spec!.egress![0]).toEqual({ to: [{ podSelector: { matchLabels: { app: 'postgres' } } }], ports: [{ protocol: 'TCP', port: 6432 }] });
    expect(inCluster.spec!.egress).toHaveLength(2); // no issuer CIDRs: no issuer rule
  });
});

describe('spec.networkPolicy and the built policy on the real API server', () => {
  let kc: KubeConfig;
  let ns: string;
  beforeAll(async () => {
    kc = loadKubeConfig();
    ns = await createTestNamespace('api-netpol', kc);
  });
  const create = (name: string, networkPolicy: unknown) => kubeRequest(kc, 'POST', appsPath(ns), {
    body: { apiVersion: 'platform.fastapiapp.io/v1alpha1', kind: 'FastApiApp', metadata: { name }, spec: { ...minimalSpec(), networkPolicy } },
  });

  it('when every option is set, then the app is stored with defaults and the policy built for it passes strict validation', async () => {
    const res = await create('netpol-full', {
      allowedNamespaces: ['ingress-nginx'], allowedPodLabels: { role: 'frontend' }, allowedCIDRs: ['10.0.0.0/16', 'fd00::/64'],
      database: { cidr: '10.1.0.0/24' }, issuer: { cidrs: ['192.0.2.0/24'] },
    });
    expect(res.status).toBe(201);
    const app = res.body as FastApiApp;
    expect(app.spec.networkPolicy).toMatchObject({ enabled: true, monitoringNamespace: 'monitoring', database: { cidr: '10.1.0.0/24' }, issuer: { port: 443 } });
    expect(app.spec.networkPolicy).toEqual(withDefaults(app.spec).networkPolicy); // the API server's defaults are the builders'
    for (const stored of [app, await kubeOk(kc, 'POST', appsPath(ns), { body: { apiVersion: app.apiVersion, kind: app.kind, metadata: { name: 'netpol-default' }, spec: minimalSpec() } }) as FastApiApp]) {
      const policy = buildNetworkPolicy(stored);
      const dry = await kubeRequest(kc, 'POST', `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies?dryRun=All&fieldValidation=Strict`, { body: policy });
      expect({ status: dry.status, message: dry.body?.message, warnings: dry.warnings }).toEqual({ status: 201, message: undefined, warnings: [] });
      expect(dry.body.spec.ingress[0].from.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['a CIDR that is not one', { allowedCIDRs: ['10.0.0.0/33'] }, 'must be CIDRs'],
    ['a database with both cidr and podLabels', { database: { cidr: '10.0.0.0/8', podLabels: { app: 'pg' } } }, 'exactly one of cidr and podLabels'],
    ['a database with neither', { database: { port: 5432 } }, 'exactly one of cidr and podLabels'],
    ['a namespace name that is not a DNS label', { allowedNamespaces: ['Not_A_Namespace'] }, 'allowedNamespaces'],
  ])('when spec.networkPolicy has %s, then the API server rejects it with 422 naming the problem', async (_label, np, text) => {
    const res = await create(`netpol-bad-${Math.random().toString(36).slice(2, 8)}`, np);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain(text);
  });
});
