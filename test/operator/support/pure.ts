// Inputs of the pure reconcile tests (plan, status): an app at generation 3 asking for reg/items:v2.
import type { FastApiApp } from '../../../operator/src/api/types';

export const T0 = '2026-01-01T00:00:00.000Z';
export const T1 = '2026-01-01T00:05:00.000Z';

export function app(over: Partial<FastApiApp['spec']> = {}, status?: FastApiApp['status']): FastApiApp {
  return {
    apiVersion: 'platform.fastapiapp.io/v1alpha1', kind: 'FastApiApp',
    metadata: { name: 'shop', namespace: 'ns', uid: 'u1', generation: 3 },
    spec: { image: 'reg/items', tag: 'v2', databaseSecretRef: { name: 'db' }, ...over },
    status,
  };
}
