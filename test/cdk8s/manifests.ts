// The repository's committed manifests as plain objects, the REST path of each object, and
// server-side apply of one, for tests that send them to the API server exactly as written (no typed
// client re-serialising them).
import fs from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { kubeRequest, type KubeResponse } from '../api/kube-http';

const root = path.resolve(__dirname, '..', '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = Record<string, any>;

/** REST path of each kind the repository ships: [group/version prefix, plural, namespaced]. */
const KINDS: Record<string, [string, string, boolean]> = {
  'v1/Namespace': ['/api/v1', 'namespaces', false],
  'v1/ServiceAccount': ['/api/v1', 'serviceaccounts', true],
  'v1/Service': ['/api/v1', 'services', true],
  'v1/Secret': ['/api/v1', 'secrets', true],
  'v1/ConfigMap': ['/api/v1', 'configmaps', true],
  'apps/v1/Deployment': ['/apis/apps/v1', 'deployments', true],
  'policy/v1/PodDisruptionBudget': ['/apis/policy/v1', 'poddisruptionbudgets', true],
  'rbac.authorization.k8s.io/v1/ClusterRole': ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ['/apis/rbac.authorization.k8s.io/v1', 'clusterrolebindings', false],
  'rbac.authorization.k8s.io/v1/Role': ['/apis/rbac.authorization.k8s.io/v1', 'roles', true],
  'rbac.authorization.k8s.io/v1/RoleBinding': ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  'monitoring.coreos.com/v1/ServiceMonitor': ['/apis/monitoring.coreos.com/v1', 'servicemonitors', true],
  'monitoring.coreos.com/v1/PrometheusRule': ['/apis/monitoring.coreos.com/v1', 'prometheusrules', true],
  'apiextensions.k8s.io/v1/CustomResourceDefinition': ['/apis/apiextensions.k8s.io/v1', 'customresourcedefinitions', false],
  'platform.fastapiapp.io/v1alpha1/FastApiApp': ['/apis/platform.fastapiapp.io/v1alpha1', 'fastapiapps', true],
};

export function objectPath(obj: Manifest, defaultNamespace: string): string {
  const kind = KINDS[`${obj.apiVersion}/${obj.kind}`];
  if (!kind) throw new Error(`no REST mapping for ${obj.apiVersion} ${obj.kind}: add it to KINDS`);
  const [prefix, plural, namespaced] = kind;
  const ns = namespaced ? `/namespaces/${obj.metadata.namespace ?? defaultNamespace}` : '';
  return `${prefix}${ns}/${plural}/${obj.metadata.name}`;
}

export function yamlFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => `${dir}/${f}`);
}

/** The objects of a multi-document YAML text (empty documents dropped). */
export function parseManifests(yaml: string): Manifest[] {
  return parseAllDocuments(yaml).map((d) => d.toJSON() as Manifest).filter(Boolean);
}

/** The objects of a committed YAML file (path relative to the repository root). */
export function documents(file: string): Manifest[] {
  return parseManifests(fs.readFileSync(path.join(root, file), 'utf8'));
}

export interface ApplyOptions {
  /** Namespace for a namespaced object that names none. */
  namespace: string;
  /** dryRun=All: admission and authorization run, nothing is stored. Default false. */
  dryRun?: boolean;
  /** Default fastapiapp-test. */
  fieldManager?: string;
}

/** Server-side apply (force) of one manifest exactly as written; the API server's answer as is. */
export function applyRequest(kc: KubeConfig, obj: Manifest, options: ApplyOptions): Promise<KubeResponse> {
  const query = `${options.dryRun ? 'dryRun=All&' : ''}fieldManager=${options.fieldManager ?? 'fastapiapp-test'}&force=true`;
  return kubeRequest(kc, 'PATCH', `${objectPath(obj, options.namespace)}?${query}`, { body: obj, contentType: 'application/apply-patch+yaml' });
}

/** applyRequest that throws unless the API server accepted the object. */
export async function applyManifest(kc: KubeConfig, obj: Manifest, options: ApplyOptions): Promise<void> {
  const res = await applyRequest(kc, obj, options);
  if (res.status >= 300) throw new Error(`apply ${obj.kind}/${obj.metadata.name}: ${res.status} ${res.body?.message ?? ''}`);
}

