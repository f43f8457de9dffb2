// Children of a progressive strategy that the spec no longer wants. Owner references only clean up
// after the FastApiApp is deleted; a child still owned but no longer wanted (the strategy changed,
// or blueGreen.previewService turned off) is deleted here. Deployments only once they run no pod:
// the reconciler first scales a left-over canary or preview to zero (stable at full size, the
// Service back on stable), and the next pass, with the Deployment controller's status at zero,
// deletes it.
import type { FastApiApp } from '../api/types';
import { canaryName } from '../desired/canary-deployment';
import type { DefaultedSpec } from '../desired/defaults';
import { previewName } from '../desired/preview';
import { DEPLOYMENTS, SERVICES, type ResourceType } from '../kube/resources';
import type { Deployment, KubeObject, Service } from '../kube/types';

export interface StrategyChildren { canary?: Deployment; preview?: Deployment; previewService?: Service }

export interface Unwanted { resource: ResourceType; name: string; why: string }

/** Scaled to zero, and the Deployment controller reports it has seen that and runs no pod. */
const drained = (d: Deployment): boolean =>
  (d.spec?.replicas ?? 1) === 0 && (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) && (d.status?.replicas ?? 0) === 0;

/** The live children (controlled by the app) to delete in this pass. */
export function unwantedChildren(app: FastApiApp, spec: DefaultedSpec, live: StrategyChildren,
  controlled: (o: KubeObject) => boolean): Unwanted[] {
  const { type, blueGreen } = spec.strategy;
  const out: Unwanted[] = [];
  const mine = <T extends KubeObject>(o: T | undefined): o is T => o !== undefined && controlled(o);
  if (mine(live.previewService) && !(type === 'BlueGreen' && blueGreen.previewService)) {
    out.push({ resource: SERVICES, name: previewName(app),
      why: type === 'BlueGreen' ? 'spec.strategy.blueGreen.previewService is false' : `spec.strategy.type is ${type}` });
  }
  if (mine(live.preview) && type !== 'BlueGreen' && drained(live.preview)) {
    out.push({ resource: DEPLOYMENTS, name: previewName(app), why: `spec.strategy.type is ${type} and the preview runs no pod` });
  }
  if (mine(live.canary) && type !== 'Canary' && drained(live.canary)) {
    out.push({ resource: DEPLOYMENTS, name: canaryName(app), why: `spec.strategy.type is ${type} and the canary runs no pod` });
  }
  return out;
}
