// The PodDisruptionBudget of the app pods: node drains evict at most maxUnavailable at a time.
// Only while replicas > 1 (with one replica a budget either blocks drains or protects nothing).
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { childLabels, selectorLabels } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';

/** Whether the app should have a PodDisruptionBudget now. */
export function wantsDisruptionBudget(app: FastApiApp): boolean {
  const spec = withDefaults(app.spec);
  return spec.disruptionBudget.enabled && spec.replicas > 1;
}

export function buildDisruptionBudget(app: FastApiApp): V1PodDisruptionBudget {
  const spec = withDefaults(app.spec);
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(app, childName(app), childLabels(app)),
    spec: {
      maxUnavailable: spec.disruptionBudget.maxUnavailable,
      selector: { matchLabels: selectorLabels(app) },
      // pods that never became ready may always be evicted, so a broken rollout cannot block a drain
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
