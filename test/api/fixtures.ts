// FastApiApp objects for tests (as the operator would read them, before or after defaulting).
import { API_VERSION, KIND, type FastApiApp, type FastApiAppSpec } from '../../operator/src/api/types';

export const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/items-app';

export function minimalSpec(overrides: Partial<FastApiAppSpec> = {}): FastApiAppSpec {
  return { image: IMAGE, tag: '1.0.0', databaseSecretRef: { name: 'items-db' }, ...overrides };
}

export function fastApiApp(spec: Partial<FastApiAppSpec> = {}, name = 'items', namespace = 'shop'): FastApiApp {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace, uid: '6f1c1f0e-1b2a-4a43-9d5e-0c8f1d2a3b4c', generation: 1 },
    spec: minimalSpec(spec),
  };
}

/** DNS-1123 label, as Kubernetes validates object names of Jobs, Services and Deployments. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
