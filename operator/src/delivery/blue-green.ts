// The BlueGreen strategy as a pure state machine: from the previous status.rollout, the control
// annotations, the pods of stable and preview, which pods the active Service selects and (when one
// was due and taken) a measurement of the preview, the next status.rollout, the replicas and
// template of both Deployments, the active Service's selector and the Events of the transitions.
// status.rollout's canary fields describe the preview. No I/O: reconcile/blue-green.ts applies it.
import type { RolloutPhase, RolloutStatus } from '../api/types';
import type { DefaultedStrategy } from '../desired/defaults';
import { ANALYSED, ms, recordAnalysis, type CanaryEvent, type DeliveryInput, type PodCounts } from './canary';

export type ActiveTrack = 'stable' | 'preview';

export interface BlueGreenInput extends DeliveryInput {
  preview: PodCounts;
  /** the pods the live active Service selects */
  activeNow: ActiveTrack;
}

export interface BlueGreenDecision {
  rollout: RolloutStatus;
  stableTemplate: 'old' | 'new';
  stableReplicas: number;
  previewReplicas: number;
  /** the pods the active Service is to select */
  active: ActiveTrack;
  events: CanaryEvent[];
  requeueAfterMs?: number;
}

function begin(input: BlueGreenInput): RolloutStatus {
  const now = input.now.toISOString();
  const { promote, abort, retry } = input.controls;
  return {
    revision: input.revision, image: input.image, ...(input.stableImage ? { stableImage: input.stableImage } : {}),
    phase: 'Progressing', step: 0, stepStartedAt: now, startedAt: now,
    stableReplicas: input.replicas, canaryReplicas: input.replicas, canaryWeight: 0, failures: 0,
    handled: { ...(promote ? { promote } : {}), ...(abort ? { abort } : {}), ...(retry ? { retry } : {}) },
    message: `starting the preview of ${input.image} on ${input.replicas} pods`,
  };
}

/** Whether the old pods are still kept (switched, the scale-down delay not over): an abort switches back at once. */
export function withinDelay(strategy: DefaultedStrategy, r: RolloutStatus, now: Date): boolean {
  return r.switchedAt !== undefined && now.getTime() - ms(r.switchedAt) < strategy.blueGreen.scaleDownDelaySeconds * 1000;
}

export function decideBlueGreen(input: BlueGreenInput): BlueGreenDecision {
  const { strategy, replicas, controls, now } = input;
  const events: CanaryEvent[] = [];
  const emit = (type: CanaryEvent['type'], reason: string, message: string) => events.push({ type, reason, message });
  const nowIso = now.toISOString();
  let r: RolloutStatus;
  if (input.prev?.revision === input.revision) {
    r = structuredClone(input.prev);
  } else {
    r = begin(input);
    emit('Normal', 'BlueGreenStarted', `preview of ${input.image} begins (stable ${input.stableImage ?? 'unknown'})`);
  }
  const enter = (phase: RolloutPhase, message: string) => { r.phase = phase; r.message = message; };
  const abort = (message: string) => { enter('Aborting', message); emit('Warning', 'BlueGreenAborting', message); };
  const promote = (why: string) => { enter('Promoting', `promoting ${input.image} (${why})`); emit('Normal', 'BlueGreenPromoting', r.message); };
  const previewReady = () => input.preview.ready >= replicas;

  // Controls, each acted on once per annotation value.
  const handled = (r.handled ??= {});
  if (controls.retry && controls.retry !== handled.retry) {
    handled.retry = controls.retry;
    if (r.phase === 'Aborted') {
      const fresh = begin(input);
      r = { ...fresh, handled: { ...fresh.handled, retry: controls.retry } };
      emit('Normal', 'BlueGreenRetried', `retrying the preview of ${input.image}`);
    }
  }
  const h = (r.handled ??= {});
  if (controls.abort && controls.abort !== h.abort) {
    h.abort = controls.abort;
    // after the delay stable takes the new template: too late for a fast rollback
    if (ANALYSED.has(r.phase) || (r.phase === 'Promoting' && (r.switchedAt === undefined || withinDelay(strategy, r, now)))) {
      abort(`aborted by annotation platform.fastapiapp.io/abort${r.switchedAt ? ': the Service switches back to stable' : ''}`);
    }
  }
  if (controls.promote && controls.promote !== h.promote) {
    h.promote = controls.promote;
    if (ANALYSED.has(r.phase)) promote('promoted by annotation platform.fastapiapp.io/promote');
  }

  // A measurement of the preview taken this pass.
  const m = input.measurement;
  if (m && ANALYSED.has(r.phase) && m.subject === 'canary') {
    recordAnalysis(r, m, strategy.canary.analysis.failureLimit, 'analysis of the preview', emit, abort);
  }
  if (input.share !== undefined) r.measuredCanaryShare = input.share;

  let requeue: number | undefined;
  const later = (t: number) => { requeue = requeue === undefined ? t : Math.min(requeue, t); };
  if (ANALYSED.has(r.phase)) {
    if (previewReady() && !r.canaryReadyAt) r.canaryReadyAt = nowIso;
    const verdict = r.lastAnalysis?.subject === 'canary' ? r.lastAnalysis.verdict : undefined;
    if (!r.canaryReadyAt) {
      enter('Progressing', `waiting for ${replicas} preview pods to be ready`);
    } else if (controls.paused) {
      enter('Paused', 'paused by annotation platform.fastapiapp.io/pause-rollout; analysis continues');
    } else if (verdict === 'pass' && strategy.blueGreen.autoPromote) {
      promote(`pre-promotion analysis passed: ${r.lastAnalysis!.message}`);
    } else if (verdict === 'pass') {
      enter('Paused', 'pre-promotion analysis passed; autoPromote is off: waiting for platform.fastapiapp.io/promote');
    } else {
      enter(verdict ? 'Paused' : 'Progressing', `preview ready; waiting for a passing analysis (latest: ${verdict ?? 'none yet'}` +
        `${r.lastAnalysis?.message ? `, ${r.lastAnalysis.message}` : ''})`);
    }
    later(strategy.canary.analysis.intervalSeconds * 1000);
  }

  let stableTemplate: BlueGreenDecision['stableTemplate'] = 'old';
  let previewReplicas = replicas;
  let active: ActiveTrack = 'stable';
  switch (r.phase) {
    case 'Promoting':
      if (r.switchedAt === undefined) {
        // zero failed requests: the switch waits for every preview pod to be ready
        if (previewReady()) {
          r.switchedAt = nowIso;
          active = 'preview';
          r.message = `the Service now selects the preview (${input.image}); old pods kept ${strategy.blueGreen.scaleDownDelaySeconds}s`;
          emit('Normal', 'BlueGreenSwitched', r.message);
        } else {
          r.message = `waiting for ${replicas} ready preview pods before the switch`;
        }
        later(1000);
      } else if (withinDelay(strategy, r, now)) {
        active = 'preview';
        later(ms(r.switchedAt) + strategy.blueGreen.scaleDownDelaySeconds * 1000 - now.getTime());
      } else {
        // the delay is over: stable takes the new template while the Service selects the preview,
        // then the Service selects stable again, then the preview goes
        stableTemplate = 'new';
        active = input.stable.promoted ? 'stable' : 'preview';
        if (input.stable.promoted && input.activeNow === 'stable') {
          previewReplicas = 0;
          if (input.preview.current === 0) {
            enter('Promoted', `${input.image} is promoted: stable runs it on ${replicas} pods`);
            emit('Normal', 'BlueGreenPromoted', r.message);
          }
        } else {
          r.message = input.stable.promoted ? 'stable runs the new template: the Service selects it again'
            : 'scale-down delay over: stable takes the new template while the Service selects the preview';
        }
        later(2000);
      }
      break;
    case 'Promoted':
      stableTemplate = 'new'; previewReplicas = 0;
      break;
    case 'Aborting':
      // fast rollback: the Service selects stable (still full size on the old template) at once;
      // the preview goes once the live Service no longer selects it and stable is all ready
      if (input.activeNow === 'stable' && input.stable.ready >= replicas) {
        previewReplicas = 0;
        if (input.preview.current === 0) {
          enter('Aborted', `${input.image} was aborted; stable (${input.stableImage ?? 'the previous template'}) serves on ${replicas} pods. ${r.message}`);
          emit('Warning', 'BlueGreenAborted', r.message);
        }
      }
      later(2000);
      break;
    case 'Aborted':
      previewReplicas = 0;
      break;
    default:
      break;
  }
  r.stableReplicas = replicas;
  r.canaryReplicas = previewReplicas;
  r.canaryWeight = active === 'preview' || r.phase === 'Promoted' ? 100 : 0;
  return { rollout: r, stableTemplate, stableReplicas: replicas, previewReplicas, active, events,
    ...(requeue !== undefined ? { requeueAfterMs: Math.max(500, requeue) } : {}) };
}
