// The Canary strategy as a pure state machine: from the previous status.rollout, the control
// annotations, the pod counts of stable and canary and (when one was due and taken) a
// measurement, the next status.rollout, the replica counts and template of both Deployments, and
// the Events of the transitions. No I/O: the reconciler (reconcile/canary.ts) measures and applies.
import type { AnalysisRecord, CanaryStep, RolloutPhase, RolloutStatus } from '../api/types';
import type { DefaultedStrategy } from '../desired/defaults';
import type { Controls } from './controls';

/** Pods of one Deployment as its controller reports them. */
export interface PodCounts {
  /** status.replicas: pods that exist (terminating ones excluded by the controller) */
  current: number;
  /** status.availableReplicas of the template asked for (0 while the controller has not caught up) */
  ready: number;
}

/** What both progressive strategies (Canary, BlueGreen) decide from. */
export interface DeliveryInput {
  strategy: DefaultedStrategy;
  /** spec.replicas (Canary: all pods, stable + canary; BlueGreen: the size of stable and of the preview) */
  replicas: number;
  /** hash of the new pod template, and its image */
  revision: string;
  image: string;
  stableImage?: string;
  prev?: RolloutStatus;
  controls: Controls;
  stable: PodCounts & { /** stable runs the new template, fully rolled out */ promoted: boolean };
  /** a measurement taken this pass because measurementDue() said so */
  measurement?: AnalysisRecord;
  /** the new track's share of requests, percent, when measured */
  share?: string;
  now: Date;
}

export interface CanaryInput extends DeliveryInput {
  canary: PodCounts;
}

export interface CanaryEvent { type: 'Normal' | 'Warning'; reason: string; message: string }

export interface CanaryDecision {
  rollout: RolloutStatus;
  /** stable keeps its live (old) template, or takes the new one (promotion) */
  stableTemplate: 'old' | 'new';
  stableReplicas: number;
  canaryReplicas: number;
  events: CanaryEvent[];
  /** when to look again without an event (pause expiry, next measurement) */
  requeueAfterMs?: number;
}

/** Phases in which the canary analysis runs. */
export const ANALYSED: ReadonlySet<RolloutPhase> = new Set(['Progressing', 'Paused']);

/**
 * Records a measurement of the new track (the canary, or BlueGreen's preview) in the rollout: a
 * failure counts toward the limit and aborts at it; the first of a run of inconclusive results is
 * an Event.
 */
export function recordAnalysis(r: RolloutStatus, m: AnalysisRecord, failureLimit: number, what: string,
  emit: (type: CanaryEvent['type'], reason: string, message: string) => void, abort: (message: string) => void): void {
  const before = r.lastAnalysis?.verdict;
  r.lastAnalysis = m;
  if (m.verdict === 'fail') {
    r.failures += 1;
    emit('Warning', 'AnalysisFailed', `${what} failed (${r.failures} of ${failureLimit}): ${m.message}`);
    if (r.failures >= failureLimit) abort(`analysis failed ${r.failures} times: ${m.message}`);
  } else if (m.verdict === 'inconclusive' && before !== 'inconclusive') {
    emit('Normal', 'AnalysisInconclusive', m.message);
  }
}
/** Phases after which nothing moves without a new revision or a retry. */
export const FINISHED: ReadonlySet<RolloutPhase> = new Set(['Promoted', 'Aborted', 'Halted']);

/**
 * Canary and stable pods for a weight of `total` pods: the canary gets the weight rounded to
 * whole pods, at least one, and stable keeps at least one (one pod in all: one of each).
 */
export function splitReplicas(total: number, weight: number): { canary: number; stable: number } {
  if (total <= 1) return { canary: 1, stable: 1 };
  const canary = Math.min(total - 1, Math.max(1, Math.round((total * weight) / 100)));
  return { canary, stable: total - canary };
}

export const weightOf = (canary: number, stable: number): number => (canary + stable === 0 ? 0 : Math.round((100 * canary) / (canary + stable)));

/** The weight in force at step `index`: the last weight step before it (0 before the first). */
export function weightAt(steps: readonly CanaryStep[], index: number): number {
  let w = 0;
  for (const s of steps.slice(0, index + 1)) if (s.weight !== undefined) w = s.weight;
  return w;
}

export const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

/** What to measure this pass: the stable check after the migration window, the canary, or nothing. */
export function measurementDue(strategy: DefaultedStrategy, prev: RolloutStatus | undefined, revision: string, now: Date): 'stable' | 'canary' | undefined {
  if (!prev || prev.revision !== revision) return undefined;
  const t = now.getTime();
  if (prev.phase === 'MigrationCheck') return t - ms(prev.startedAt) >= strategy.canary.migrationCheck.windowSeconds * 1000 ? 'stable' : undefined;
  if (!ANALYSED.has(prev.phase) || prev.canaryReplicas === 0 || !prev.canaryReadyAt) return undefined;
  const { initialDelaySeconds, intervalSeconds } = strategy.canary.analysis;
  if (t - ms(prev.canaryReadyAt) < initialDelaySeconds * 1000) return undefined;
  const last = prev.lastAnalysis?.subject === 'canary' ? ms(prev.lastAnalysis.time) : Number.NaN;
  return Number.isNaN(last) || t - last >= intervalSeconds * 1000 ? 'canary' : undefined;
}

/** Milliseconds until the next canary measurement is due (the interval while the canary pods are not ready yet). */
function nextMeasurementMs(strategy: DefaultedStrategy, r: RolloutStatus, now: Date): number {
  const { initialDelaySeconds, intervalSeconds } = strategy.canary.analysis;
  const readyAt = ms(r.canaryReadyAt);
  if (Number.isNaN(readyAt)) return intervalSeconds * 1000;
  const last = r.lastAnalysis?.subject === 'canary' ? ms(r.lastAnalysis.time) : Number.NaN;
  const due = Math.max(readyAt + initialDelaySeconds * 1000, Number.isNaN(last) ? 0 : last + intervalSeconds * 1000);
  return Math.max(0, due - now.getTime());
}

function begin(input: CanaryInput): RolloutStatus {
  const now = input.now.toISOString();
  const check = input.strategy.canary.migrationCheck.windowSeconds > 0;
  const { promote, abort, retry } = input.controls;
  return {
    revision: input.revision, image: input.image, ...(input.stableImage ? { stableImage: input.stableImage } : {}),
    phase: check ? 'MigrationCheck' : 'Progressing', step: 0, stepStartedAt: now, startedAt: now,
    stableReplicas: input.replicas, canaryReplicas: 0, canaryWeight: 0, failures: 0,
    // annotations already present belong to an earlier rollout: acted on only when they change
    handled: { ...(promote ? { promote } : {}), ...(abort ? { abort } : {}), ...(retry ? { retry } : {}) },
    message: check ? `watching stable for ${input.strategy.canary.migrationCheck.windowSeconds}s after the migration` : 'starting the canary',
  };
}

export function decideCanary(input: CanaryInput): CanaryDecision {
  const { strategy, replicas, controls, now } = input;
  const steps = strategy.canary.steps;
  const events: CanaryEvent[] = [];
  const emit = (type: CanaryEvent['type'], reason: string, message: string) => events.push({ type, reason, message });
  const nowIso = now.toISOString();
  let r: RolloutStatus;
  if (input.prev?.revision === input.revision) {
    r = structuredClone(input.prev);
  } else {
    r = begin(input);
    emit('Normal', 'CanaryStarted', `canary of ${input.image} begins (stable ${input.stableImage ?? 'unknown'}, ${steps.length} steps)`);
  }
  const handled = (r.handled ??= {});
  const enter = (phase: RolloutPhase, message: string) => { r.phase = phase; r.message = message; };
  const abort = (message: string) => { enter('Aborting', message); emit('Warning', 'CanaryAborting', message); };
  const nextStep = (why: string) => {
    r.step += 1;
    r.stepStartedAt = nowIso;
    if (r.step >= steps.length) {
      enter('Promoting', `all ${steps.length} steps passed (${why}): stable takes the new template`);
      emit('Normal', 'CanaryPromoting', r.message);
    } else {
      enter('Progressing', `step ${r.step + 1} of ${steps.length} (${why})`);
      emit('Normal', 'CanaryStep', `${r.message}: ${JSON.stringify(steps[r.step])}`);
    }
  };

  // Controls, each acted on once per annotation value.
  if (controls.retry && controls.retry !== handled.retry) {
    handled.retry = controls.retry;
    if (r.phase === 'Aborted' || r.phase === 'Halted') {
      const fresh = begin(input);
      r = { ...fresh, handled: { ...fresh.handled } };
      emit('Normal', 'CanaryRetried', `retrying the canary of ${input.image} from the first step`);
    }
  }
  const h = (r.handled ??= {});
  if (controls.abort && controls.abort !== h.abort) {
    h.abort = controls.abort;
    if (!FINISHED.has(r.phase) && r.phase !== 'Aborting' && r.phase !== 'Promoting') abort('aborted by annotation platform.fastapiapp.io/abort');
  }
  if (controls.promote && controls.promote !== h.promote) {
    h.promote = controls.promote;
    if (r.phase === 'MigrationCheck' || ANALYSED.has(r.phase)) {
      if (controls.promote.startsWith('full')) {
        r.step = steps.length;
        enter('Promoting', 'promoted in full by annotation platform.fastapiapp.io/promote');
        emit('Normal', 'CanaryPromoting', r.message);
      } else if (r.phase === 'MigrationCheck') {
        enter('Progressing', 'migration check skipped by annotation platform.fastapiapp.io/promote');
      } else {
        nextStep('promoted by annotation');
      }
    }
  }

  // A measurement taken this pass.
  const m = input.measurement;
  if (m && r.phase === 'MigrationCheck' && m.subject === 'stable') {
    r.lastAnalysis = m;
    if (m.verdict === 'fail') {
      enter('Halted', `the migration broke stable (${input.stableImage ?? 'stable'}): ${m.message}; no canary pod started`);
      emit('Warning', 'MigrationBrokeStable', r.message);
    } else {
      enter('Progressing', `migration check ${m.verdict}: ${m.message}`);
      emit('Normal', 'MigrationCheckPassed', r.message);
    }
  } else if (m && ANALYSED.has(r.phase) && m.subject === 'canary') {
    recordAnalysis(r, m, strategy.canary.analysis.failureLimit, 'analysis', emit, abort);
  }
  if (input.share !== undefined) r.measuredCanaryShare = input.share;

  // The current step.
  let requeue: number | undefined;
  const later = (t: number) => { requeue = requeue === undefined ? t : Math.min(requeue, t); };
  if (r.phase === 'MigrationCheck') {
    later(Math.max(1000, ms(r.startedAt) + strategy.canary.migrationCheck.windowSeconds * 1000 - now.getTime()));
  }
  if (ANALYSED.has(r.phase)) {
    const applyWeight = () => {
      const want = splitReplicas(replicas, weightAt(steps, Math.min(r.step, steps.length - 1)));
      if (r.canaryReplicas !== want.canary) delete r.canaryReadyAt;
      r.canaryReplicas = want.canary;
      r.stableReplicas = want.stable;
      r.canaryWeight = weightOf(want.canary, want.stable);
      return want;
    };
    const startStep = r.step;
    const want = applyWeight();
    const ready = input.canary.ready >= want.canary && input.stable.ready >= want.stable;
    if (ready && !r.canaryReadyAt) r.canaryReadyAt = nowIso;
    const step = steps[r.step]!;
    if (controls.paused) {
      enter('Paused', 'paused by annotation platform.fastapiapp.io/pause-rollout; analysis continues');
    } else if (step.weight !== undefined) {
      if (ready) nextStep(`${r.canaryWeight}% of pods (${want.canary} canary, ${want.stable} stable) ready`);
      else enter('Progressing', `step ${r.step + 1} of ${steps.length}: waiting for ${want.canary} canary and ${want.stable} stable pods`);
    } else if (step.pause?.durationSeconds === undefined) {
      enter('Paused', `step ${r.step + 1} of ${steps.length}: paused until promoted (kubectl annotate fastapiapp ... platform.fastapiapp.io/promote=step)`);
    } else {
      const left = ms(r.stepStartedAt) + step.pause.durationSeconds * 1000 - now.getTime();
      const verdict = r.lastAnalysis?.subject === 'canary' ? r.lastAnalysis.verdict : undefined;
      if (left > 0) {
        enter('Progressing', `step ${r.step + 1} of ${steps.length}: ${r.canaryWeight}% of pods for ${step.pause.durationSeconds}s`);
        later(left);
      } else if (verdict === 'pass') {
        nextStep(`paused ${step.pause.durationSeconds}s with a passing analysis`);
      } else {
        enter('Paused', `step ${r.step + 1} of ${steps.length}: pause over, waiting for a passing analysis (latest: ${verdict ?? 'none yet'}` +
          `${r.lastAnalysis?.message ? `, ${r.lastAnalysis.message}` : ''})`);
      }
    }
    if (ANALYSED.has(r.phase) && r.step !== startStep) applyWeight(); // the next step's weight, applied this pass
    if (ANALYSED.has(r.phase)) later(nextMeasurementMs(strategy, r, now));
    else later(1000);
  }

  // Replicas and templates of this phase.
  let stableTemplate: CanaryDecision['stableTemplate'] = 'old';
  let stableReplicas = r.stableReplicas;
  let canaryReplicas = r.canaryReplicas;
  switch (r.phase) {
    case 'MigrationCheck':
    case 'Halted':
      stableReplicas = replicas; canaryReplicas = 0;
      break;
    case 'Promoting':
      stableTemplate = 'new'; stableReplicas = replicas;
      if (input.stable.promoted) {
        canaryReplicas = 0;
        if (input.canary.current === 0) {
          enter('Promoted', `${input.image} is promoted: stable runs it on ${replicas} pods`);
          emit('Normal', 'CanaryPromoted', r.message);
        }
      }
      later(2000);
      break;
    case 'Promoted':
      stableTemplate = 'new'; stableReplicas = replicas; canaryReplicas = 0;
      break;
    case 'Aborting':
      // stable back to full size first; the canary goes only once stable serves at full size
      stableReplicas = replicas;
      if (input.stable.ready >= replicas) {
        canaryReplicas = 0;
        if (input.canary.current === 0) {
          enter('Aborted', `${input.image} was aborted; stable (${input.stableImage ?? 'the previous template'}) serves on ${replicas} pods. ${r.message}`);
          emit('Warning', 'CanaryAborted', r.message);
        }
      }
      later(2000);
      break;
    case 'Aborted':
      stableReplicas = replicas; canaryReplicas = 0;
      break;
    default:
      break;
  }
  r.stableReplicas = stableReplicas;
  r.canaryReplicas = canaryReplicas;
  r.canaryWeight = weightOf(canaryReplicas, stableTemplate === 'new' && canaryReplicas === 0 ? replicas : stableReplicas);
  if (r.phase === 'Promoted') r.canaryWeight = 100;
  // Stable goes down to its share only as the canary's pods become ready: until then it keeps the
  // pods they replace (a surge, as a rolling update's), so the app never serves on fewer pods while
  // canary pods start. status.rollout keeps the step's split.
  const standIn = ANALYSED.has(r.phase) ? Math.min(replicas - stableReplicas, Math.max(0, canaryReplicas - input.canary.ready)) : 0;
  return { rollout: r, stableTemplate, stableReplicas: stableReplicas + standIn, canaryReplicas, events,
    ...(requeue !== undefined ? { requeueAfterMs: Math.max(500, requeue) } : {}) };
}
