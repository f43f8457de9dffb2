// The Canary strategy inside one reconcile pass: whether a canary rollout applies to the spec's
// pod template, the measurement due (through Prometheus), the decision of the state machine
// (delivery/canary.ts), and the two Deployments it asks for. The reconciler applies them.
import type { AnalysisRecord, FastApiApp, RolloutStatus, StrategyType } from '../api/types';
import type { PrometheusClient } from '../analysis/prometheus';
import { decideCanary, measurementDue, type CanaryDecision, type PodCounts } from '../delivery/canary';
import { readControls } from '../delivery/controls';
import { canaryShare, measureCanary, measureStableAfterMigration } from '../delivery/measure';
import { buildCanaryDeployment, buildDeployment, labelValue, tagOf, TEMPLATE_HASH_ANNOTATION, type DefaultedSpec } from '../desired/index';
import type { Deployment } from '../kube/types';
import { allUpdated, deploymentImage, rolloutState, templateHash } from './observed';

export interface CanaryPass {
  decision: CanaryDecision;
  /** the stable Deployment to apply (old template held, or the new one when promoting) */
  stable: Deployment;
  /** the canary Deployment to apply; undefined when it neither exists nor is wanted */
  canary?: Deployment;
  /** what was measured this pass, for the analysis counter */
  measured?: Measured;
}

/** What a pass measured, for the analysis and check counters. */
export interface Measured { subject: string; verdict: string; checks: ReadonlyArray<{ name: string; verdict: string }> }

export const measuredOf = (m: AnalysisRecord): Measured => ({ subject: m.subject, verdict: m.verdict, checks: m.checks ?? [] });

/** Pods of a Deployment: those of its current template count as ready only once the controller saw it. */
export function podCounts(d: Deployment | undefined): PodCounts {
  if (!d) return { current: 0, ready: 0 };
  const s = d.status ?? {};
  const caughtUp = (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
  return { current: s.replicas ?? 0, ready: caughtUp ? Math.min(s.updatedReplicas ?? 0, s.availableReplicas ?? 0) : 0 };
}

/**
 * Whether the spec's template goes out as a canary (or, with type BlueGreen, a preview): strategy `type`, the target migrated, and
 * either a rollout of this template already under way (status.rollout), or a stable Deployment
 * still on the template last rolled out while the spec asks for another. A first deploy, or a
 * spec set back to the template stable runs, rolls as usual.
 * "Last rolled out" is status.templateHash, or the template of a progressive rollout that ended
 * Promoted, or stable's own template, fully rolled out, after an aborted one: status.templateHash
 * follows only once the replaced pods have exited (Ready), and a release set in between must not go
 * to every pod at once.
 */
export function canaryApplies(app: FastApiApp, spec: DefaultedSpec, newHash: string | undefined, stable: Deployment | undefined, migrated: boolean,
  type: StrategyType = 'Canary'): boolean {
  if (spec.strategy.type !== type || !migrated || !stable || !newHash) return false;
  const rollout = app.status?.rollout;
  if (rollout?.revision === newHash) return true;
  const live = templateHash(stable);
  // After an abort stable serves its own template at full size: rolled out, even when status.templateHash
  // (set at Ready) still names the template before a promotion that came just before the aborted release.
  const afterAbort = rollout?.phase === 'Aborted' && rollout.revision !== live && rolloutState(stable).phase === 'complete' && allUpdated(stable);
  const rolledOut = [app.status?.templateHash, rollout?.phase === 'Promoted' ? rollout.revision : undefined, afterAbort ? live : undefined];
  return live !== undefined && newHash !== live && rolledOut.includes(live);
}

/** The stable Deployment holding its live template (and the labels of the image it runs) at `replicas`. */
export function heldStable(app: FastApiApp, live: Deployment, replicas: number, secretHash: string | undefined): Deployment {
  const image = deploymentImage(live)!;
  const built = buildDeployment(app, image, secretHash) as Deployment;
  const hash = live.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION];
  return {
    ...built,
    metadata: { ...built.metadata, labels: { ...built.metadata.labels, ...pick(live.metadata.labels, 'app.kubernetes.io/version') },
      annotations: { ...built.metadata.annotations, ...(hash ? { [TEMPLATE_HASH_ANNOTATION]: hash } : {}) } },
    spec: { ...built.spec!, replicas, template: structuredClone(live.spec!.template) },
  };
}

/** Stable's pods, and whether it runs the new template fully rolled out. */
export function stableCounts(live: Deployment, revision: string): PodCounts & { promoted: boolean } {
  return { ...podCounts(live), promoted: templateHash(live) === revision && rolloutState(live).phase === 'complete' && allUpdated(live) };
}

/** The stable Deployment of a decision: the new template (promoting, or already on it) or its live template held. */
export function stableOf(app: FastApiApp, desiredNew: Deployment, live: Deployment, template: 'old' | 'new', replicas: number, secretHash: string | undefined): Deployment {
  const onNew = templateHash(live) === desiredNew.metadata.annotations![TEMPLATE_HASH_ANNOTATION];
  return template === 'new' || onNew ? { ...desiredNew, spec: { ...desiredNew.spec!, replicas } } : heldStable(app, live, replicas, secretHash);
}

const pick = (labels: Record<string, string> | undefined, key: string): Record<string, string> =>
  (labels?.[key] !== undefined ? { [key]: labels[key]! } : {});

export interface CanaryContext {
  app: FastApiApp;
  spec: DefaultedSpec;
  /** the stable Deployment as the spec's new template would have it (replicas spec.replicas) */
  desiredNew: Deployment;
  runImage: string;
  live: { stable: Deployment; canary?: Deployment };
  secretHash?: string;
  prometheus?: PrometheusClient;
  now: Date;
}

export async function canaryPass(ctx: CanaryContext): Promise<CanaryPass> {
  const { app, desiredNew, runImage, live, now } = ctx;
  // without migrations there is nothing for the migration check to watch
  const spec = ctx.spec.migration.enabled ? ctx.spec
    : { ...ctx.spec, strategy: { ...ctx.spec.strategy, canary: { ...ctx.spec.strategy.canary, migrationCheck: { windowSeconds: 0 } } } };
  const revision = desiredNew.metadata.annotations![TEMPLATE_HASH_ANNOTATION]!;
  const prev: RolloutStatus | undefined = app.status?.rollout;
  const current = prev?.revision === revision ? prev : undefined;
  const stableImage = current?.stableImage ?? deploymentImage(live.stable);
  const canaryVersion = labelValue(tagOf(runImage));
  const stableVersion = stableImage ? labelValue(tagOf(stableImage)) : undefined;
  const due = measurementDue(spec.strategy, current, revision, now);
  let measurement;
  let share;
  if (due === 'canary') {
    [measurement, share] = await Promise.all([
      measureCanary(ctx.prometheus, app, spec.strategy, canaryVersion, stableVersion, now),
      canaryShare(ctx.prometheus, app, spec.strategy, canaryVersion),
    ]);
  } else if (due === 'stable' && stableVersion) {
    measurement = await measureStableAfterMigration(ctx.prometheus, app, spec.strategy, stableVersion, new Date(current!.startedAt), now);
  }
  const decision = decideCanary({
    strategy: spec.strategy, replicas: spec.replicas, revision, image: runImage, ...(stableImage ? { stableImage } : {}),
    ...(prev ? { prev } : {}), controls: readControls(app),
    stable: stableCounts(live.stable, revision),
    canary: podCounts(live.canary),
    ...(measurement ? { measurement } : {}), ...(share !== undefined ? { share } : {}),
    now,
  });
  const stable = stableOf(app, desiredNew, live.stable, decision.stableTemplate, decision.stableReplicas, ctx.secretHash);
  const wantCanary = decision.canaryReplicas > 0 || live.canary !== undefined;
  return {
    decision, stable,
    ...(wantCanary ? { canary: buildCanaryDeployment(app, runImage, decision.canaryReplicas, ctx.secretHash) as Deployment } : {}),
    ...(measurement ? { measured: measuredOf(measurement) } : {}),
  };
}
