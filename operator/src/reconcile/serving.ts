// The pods that serve the app's traffic, as the scale subresource reports them (status.replicas,
// status.readyReplicas, status.selector), which is what an HPA targeting the FastApiApp reads.
// The HPA sets spec.replicas, which is all the app's serving pods: with Canary, stable + canary
// (the operator splits the total by the step's weight); with BlueGreen, the size of each side. So
// status counts the same pods: during a canary both Deployments (a count of stable alone made an
// HPA with a per-pod target propose the stable count as the new total and shrink the app); once a
// BlueGreen Service is switched, the preview's pods and selector (stable's pods then get no traffic,
// and their idle CPU would scale the app down under the preview).
import type { FastApiApp } from '../api/types';
import { labelSelectorString, selectorString } from '../desired/labels';
import { previewSelector } from '../desired/preview';
import type { Deployment, Service } from '../kube/types';
import { activeOf } from './blue-green';

export interface Serving { replicas: number; readyReplicas: number; selector: string }

const count = (d: Deployment | undefined) => ({ replicas: d?.status?.replicas ?? 0, ready: d?.status?.readyReplicas ?? 0 });

/** The serving pods: the preview's when the Service selects it, else stable's and the canary's. */
export function servingPods(app: FastApiApp, live: { stable?: Deployment; canary?: Deployment; preview?: Deployment; service?: Service }): Serving {
  if (live.preview && activeOf(live.service, previewSelector(app)) === 'preview') {
    const p = count(live.preview);
    return { replicas: p.replicas, readyReplicas: p.ready, selector: labelSelectorString(previewSelector(app)) };
  }
  const s = count(live.stable);
  const c = count(live.canary);
  return { replicas: s.replicas + c.replicas, readyReplicas: s.ready + c.ready, selector: selectorString(app) };
}
