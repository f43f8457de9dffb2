// The BlueGreen strategy inside one reconcile pass: the measurement of the preview due (through
// Prometheus), the decision of the state machine (delivery/blue-green.ts), and the objects it asks
// for: stable and preview Deployments, the active Service's selector, the preview Service. The
// reconciler applies them.
import type { RolloutStatus } from '../api/types';
import { measurementDue, type CanaryEvent } from '../delivery/canary';
import { decideBlueGreen, type ActiveTrack, type BlueGreenDecision } from '../delivery/blue-green';
import { readControls } from '../delivery/controls';
import { canaryShare, measureCanary } from '../delivery/measure';
import {
  buildPreviewDeployment, buildPreviewService, buildService, buildSwitchedService, labelValue, previewSelector, PREVIEW_TRACK, tagOf, TEMPLATE_HASH_ANNOTATION,
} from '../desired/index';
import type { Deployment, Service } from '../kube/types';
import { measuredOf, podCounts, stableCounts, stableOf, type CanaryContext, type Measured } from './canary';
import { deploymentImage } from './observed';

export interface BlueGreenPass {
  decision: BlueGreenDecision & { events: CanaryEvent[] };
  stable: Deployment;
  /** undefined when it neither exists nor is wanted */
  preview?: Deployment;
  /** the active Service <name> */
  service: Service;
  /** the Service <name>-preview, when spec.strategy.blueGreen.previewService */
  previewService?: Service;
  measured?: Measured;
}

export interface BlueGreenContext extends Omit<CanaryContext, 'live'> {
  live: { stable: Deployment; preview?: Deployment; service?: Service };
}

/** Which pods the live Service selects. */
export function activeOf(service: Service | undefined, preview: Record<string, string>): ActiveTrack {
  const sel = service?.spec?.selector ?? {};
  return Object.entries(preview).every(([k, v]) => sel[k] === v) ? 'preview' : 'stable';
}

export async function blueGreenPass(ctx: BlueGreenContext): Promise<BlueGreenPass> {
  const { app, desiredNew, runImage, live, now } = ctx;
  // BlueGreen has no migration check: the preview gets no traffic from the active Service before promotion
  const strategy = { ...ctx.spec.strategy, canary: { ...ctx.spec.strategy.canary, migrationCheck: { windowSeconds: 0 } } };
  const revision = desiredNew.metadata.annotations![TEMPLATE_HASH_ANNOTATION]!;
  const prev: RolloutStatus | undefined = app.status?.rollout;
  const current = prev?.revision === revision ? prev : undefined;
  const stableImage = current?.stableImage ?? deploymentImage(live.stable);
  const previewVersion = labelValue(tagOf(runImage));
  const stableVersion = stableImage ? labelValue(tagOf(stableImage)) : undefined;
  let measurement;
  let share;
  if (measurementDue(strategy, current, revision, now) === 'canary') {
    [measurement, share] = await Promise.all([
      measureCanary(ctx.prometheus, app, strategy, previewVersion, stableVersion, now, PREVIEW_TRACK),
      canaryShare(ctx.prometheus, app, strategy, previewVersion, PREVIEW_TRACK),
    ]);
  }
  const decision = decideBlueGreen({
    strategy, replicas: ctx.spec.replicas, revision, image: runImage, ...(stableImage ? { stableImage } : {}),
    ...(prev ? { prev } : {}), controls: readControls(app),
    stable: stableCounts(live.stable, revision),
    preview: podCounts(live.preview), activeNow: activeOf(live.service, previewSelector(app)),
    ...(measurement ? { measurement } : {}), ...(share !== undefined ? { share } : {}),
    now,
  });
  const stable = stableOf(app, desiredNew, live.stable, decision.stableTemplate, decision.stableReplicas, ctx.secretHash);
  const wantPreview = decision.previewReplicas > 0 || live.preview !== undefined;
  return {
    decision, stable,
    ...(wantPreview ? { preview: buildPreviewDeployment(app, runImage, decision.previewReplicas, ctx.secretHash) as Deployment } : {}),
    service: (decision.active === 'preview' ? buildSwitchedService(app) : buildService(app)) as Service,
    ...(ctx.spec.strategy.blueGreen.previewService ? { previewService: buildPreviewService(app) as Service } : {}),
    ...(measurement ? { measured: measuredOf(measurement) } : {}),
  };
}
