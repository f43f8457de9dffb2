// The resource types the operator reads and writes, and their REST paths. Fixed here instead of
// discovered, so no discovery requests are made (one less thing to count and to fail).
import { GROUP, VERSION, PLURAL, KIND } from '../api/types';

export interface ResourceType {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

const rt = (group: string, version: string, plural: string, kind: string, namespaced = true): ResourceType =>
  ({ group, version, plural, kind, namespaced });

export const FASTAPIAPPS = rt(GROUP, VERSION, PLURAL, KIND);
export const DEPLOYMENTS = rt('apps', 'v1', 'deployments', 'Deployment');
export const SERVICES = rt('', 'v1', 'services', 'Service');
export const JOBS = rt('batch', 'v1', 'jobs', 'Job');
export const PODS = rt('', 'v1', 'pods', 'Pod');
export const SECRETS = rt('', 'v1', 'secrets', 'Secret');
export const PDBS = rt('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget');
export const NETWORKPOLICIES = rt('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy');
export const SERVICEMONITORS = rt('monitoring.coreos.com', 'v1', 'servicemonitors', 'ServiceMonitor');
export const PROMETHEUSRULES = rt('monitoring.coreos.com', 'v1', 'prometheusrules', 'PrometheusRule');
export const EVENTS = rt('', 'v1', 'events', 'Event');
export const LEASES = rt('coordination.k8s.io', 'v1', 'leases', 'Lease');
export const TOKENREVIEWS = rt('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false);
export const SUBJECTACCESSREVIEWS = rt('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false);
export const CRDS = rt('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false);

export const apiVersionOf = (r: ResourceType): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** /api/v1/namespaces/ns/services/name/status style paths; namespace undefined = all namespaces. */
export function resourcePath(r: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}
