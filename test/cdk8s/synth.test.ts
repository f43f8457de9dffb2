// The committed generated files match `npm run synth`, and the install manifests hold the
// properties the issue asks for (least-privilege RBAC, restricted operator pods).
import fs from 'node:fs';
import path from 'node:path';
import { synthesize } from '../../cdk8s/synth';
import { CLUSTER_RULES, LEASE_RULES, SECRET_READER_RULES } from '../../cdk8s/charts/operator';
import { containerSecurityContext, podSecurityContext } from '../../operator/src/desired/pod';
import { parseManifests, type Manifest } from './manifests';

const root = path.resolve(__dirname, '..', '..');
const files = synthesize();

const manifests = (file: string): Manifest[] => parseManifests(files.get(file)!);

const operator = manifests('cdk8s/dist/operator.yaml');
const byKind = (kind: string) => operator.filter((m) => m.kind === kind);
/** The single object of a kind in operator.yaml (ClusterRole: the operator's own, bound cluster-wide). */
function one(kind: string): Manifest {
  const found = byKind(kind).filter((m) => kind !== 'ClusterRole' || m.metadata.name === 'fastapiapp-operator');
  if (found.length !== 1) throw new Error(`expected one ${kind} in cdk8s/dist/operator.yaml, found ${found.length}`);
  return found[0]!;
}

describe('npm run synth', () => {
  it.each([...files.keys()])('when synthesized, then the committed %s is up to date', (file) => {
    const target = path.join(root, file);
    if (!fs.existsSync(target)) throw new Error(`${file} is missing: run \`npm run synth\` and commit the result`);
    const committed = fs.readFileSync(target, 'utf8');
    if (committed !== files.get(file)) {
      // The diff below shows what changed; `npm run synth` rewrites the file.
      console.error(`${file} is stale: run \`npm run synth\` and commit the result`);
    }
    expect(committed).toBe(files.get(file));
  });

  it('when cdk8s/dist is listed, then it holds exactly the synthesized files', () => {
    const dist = fs.readdirSync(path.join(root, 'cdk8s/dist')).map((f) => `cdk8s/dist/${f}`).sort();
    expect(dist).toEqual([...files.keys()].filter((f) => f.startsWith('cdk8s/dist/')).sort());
  });

  it('when the CRD is synthesized, then it is cluster-scoped (no namespace stamped on it)', () => {
    const [crd, ...rest] = manifests('crds/fastapiapp.yaml');
    expect(rest).toEqual([]);
    expect(crd!.kind).toBe('CustomResourceDefinition');
    expect(crd!.metadata.namespace).toBeUndefined();
  });

  it('when the ClusterRole and Role are read, then no rule holds a wildcard and verbs are listed per resource', () => {
    const roles = [...byKind('ClusterRole'), ...byKind('Role')];
    expect(roles.map((r) => r.metadata.name).sort()).toEqual(['fastapiapp-operator', 'fastapiapp-operator-leader-election',
      'fastapiapp-operator-metrics-reader', 'fastapiapp-operator-secret-reader']);
    for (const role of roles) {
      for (const rule of role.rules as Manifest[]) {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs']) {
          for (const value of rule[field] ?? []) expect(value).not.toContain('*');
        }
        expect(rule.verbs.length).toBeGreaterThan(0);
        expect(rule.verbs).not.toContain('escalate');
        expect(rule.verbs).not.toContain('bind');
        expect(rule.verbs).not.toContain('impersonate');
      }
    }
    const clusterRole = one('ClusterRole');
    const verbsOf = (resource: string) =>
      (clusterRole.rules as Manifest[]).filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs);
    expect(verbsOf('fastapiapps')).toEqual(['list', 'watch']);
    expect(verbsOf('customresourcedefinitions')).toEqual([]);
    // Secrets: nothing cluster-wide; list/watch only through the per-namespace secret-reader binding
    expect(verbsOf('secrets')).toEqual([]);
    const reader = byKind('ClusterRole').find((m) => m.metadata.name === 'fastapiapp-operator-secret-reader')!;
    expect(reader.rules.map(({ resourceNames: _r, ...rule }: Manifest) => rule)).toEqual(SECRET_READER_RULES);
    expect(byKind('ClusterRoleBinding').map((b) => b.roleRef.name)).toEqual(['fastapiapp-operator']);
    // delete: a strategy's children once the strategy changed away (the canary/preview Deployments, the preview Service)
    expect(verbsOf('deployments')).toEqual(['list', 'watch', 'create', 'patch', 'delete']);
    expect(verbsOf('services')).toEqual(['list', 'watch', 'create', 'patch', 'delete']);
    // children: whether a name is taken comes from a metadata-only watch, not a GET per create
    for (const child of ['deployments', 'services', 'jobs', 'poddisruptionbudgets', 'networkpolicies', 'servicemonitors', 'prometheusrules']) expect(verbsOf(child)).not.toContain('get');
    const role = one('Role');
    expect(role.rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
  });

  it('when the operator Deployment is read, then it runs 2 restricted replicas with probes and a PDB keeps one', () => {
    const deployment = one('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe('fastapiapp-operator');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 8443, protocol: 'TCP' }, { name: 'probes', containerPort: 8080, protocol: 'TCP' }]);
    // /metrics is HTTPS on 8443 (authorised through the API server); probes plain HTTP on 8080
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'METRICS_ADDR', value: ':8080' }, { name: 'METRICS_SECURE_ADDR', value: ':8443' }]));
    // cdk8s-plus-28 probes and Service target ports take numbers only: the probe port's number.
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080, scheme: 'HTTP' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 8080, scheme: 'HTTP' });
    // No startup probe (cdk8s-plus adds a TCP one when a container sets `portNumber`).
    expect(container.startupProbe).toBeUndefined();
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const service = one('Service');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([{ name: 'metrics', port: 8443, targetPort: 8443, protocol: 'TCP' }]);
    expect(service.spec.externalIPs ?? []).toEqual([]);
  });

  it('when the operator pod is read, then its security contexts are exactly the restricted profile the app pods use', () => {
    const pod = one('Deployment').spec.template.spec;
    // fsGroupChangePolicy: cdk8s-plus writes out Always, which is what Kubernetes does when it is unset.
    expect(pod.securityContext).toEqual({ ...podSecurityContext(), fsGroupChangePolicy: 'Always' });
    expect(pod.containers.map((c: Manifest) => c.securityContext)).toEqual([containerSecurityContext()]);
    expect(pod.hostNetwork).not.toBe(true);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }]);
  });

  it('when the operator pod is read, then it mounts its ServiceAccount token (cdk8s-plus turns it off unless asked)', () => {
    const pod = one('Deployment').spec.template.spec;
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    expect(one('ServiceAccount').automountServiceAccountToken).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it('when the operator Deployment is read, then it selects and labels its pods only by app.kubernetes.io labels', () => {
    const deployment = one('Deployment');
    const name = { 'app.kubernetes.io/name': 'fastapiapp-operator' };
    expect(deployment.spec.selector).toEqual({ matchLabels: name });
    expect(deployment.spec.template.metadata.labels).toEqual({ ...name, 'app.kubernetes.io/part-of': 'fastapiapp', 'app.kubernetes.io/component': 'operator' });
    expect(deployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: name } } },
    ]);
    // No label or annotation of cdk8s-plus's own (such as its cdk8s.io/metadata.addr pod address).
    expect(JSON.stringify(operator)).not.toContain('cdk8s.io/');
    expect(deployment.spec.revisionHistoryLimit).toBe(5);
    expect(deployment.spec.template.spec.containers[0].terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });

  it('when the RBAC is read, then it is exactly the rules the chart declares, bound to the operator account only', () => {
    // cdk8s-plus writes `resourceNames: []` (no name restriction, as when absent) on each rule.
    const strip = (rules: Manifest[]) => rules.map(({ resourceNames, ...rule }) => {
      expect(resourceNames ?? []).toEqual([]);
      return rule;
    });
    expect(strip(one('ClusterRole').rules)).toEqual(CLUSTER_RULES);
    expect(strip(one('Role').rules)).toEqual(LEASE_RULES);
    const subject = { apiGroup: '', kind: 'ServiceAccount', name: 'fastapiapp-operator', namespace: 'fastapiapp-system' };
    expect(one('ClusterRoleBinding')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: one('ClusterRole').metadata.name }, subjects: [subject] });
    expect(one('RoleBinding')).toMatchObject({ roleRef: { kind: 'Role', name: one('Role').metadata.name }, subjects: [subject] });
  });

  it('when namespaced install objects are read, then each names the operator namespace and cluster-scoped ones none', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const m of operator) {
      if (clusterScoped.has(m.kind)) expect(m.metadata.namespace).toBeUndefined();
      else expect(m.metadata.namespace).toBe('fastapiapp-system');
    }
    const ns = one('Namespace');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('when the example Secret is read, then it holds a clearly local placeholder through stringData', () => {
    const [secret] = manifests('crds/examples/secret.yaml');
    const [app] = manifests('crds/examples/fastapiapp.yaml');
    expect(app!.spec.databaseSecretRef.name).toBe(secret!.metadata.name);
    expect(secret!.data).toBeUndefined();
    expect(secret!.stringData.DATABASE_URL).toContain('local-dev-only');
  });
});
