// The Canary strategy's state machine and builders without I/O (test/operator/canary.test.ts runs
// it on the real API server with a real Prometheus).
import type { AnalysisRecord, RolloutStatus } from '../../operator/src/api/types';
import { decideCanary, measurementDue, splitReplicas, weightAt, type CanaryInput } from '../../operator/src/delivery/canary';
import { readControls } from '../../operator/src/delivery/controls';
import { canaryApplies } from '../../operator/src/reconcile/canary';
import type { Deployment } from '../../operator/src/kube/types';
import { buildCanaryDeployment, buildDeployment, TEMPLATE_HASH_ANNOTATION, TRACK_LABEL, withDefaults } from '../../operator/src/desired';
import { strategyDefaults } from '../../operator/src/desired/defaults';
import { fastApiApp } from '../api/fixtures';

const T0 = Date.parse('2026-12-07T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const STRATEGY = strategyDefaults({ type: 'Canary', canary: { migrationCheck: { windowSeconds: 0 } } });
const measured = (verdict: AnalysisRecord['verdict'], s: number, subject: AnalysisRecord['subject'] = 'canary'): AnalysisRecord =>
  ({ time: at(s).toISOString(), verdict, subject, requests: 100, message: verdict });

function input(over: Partial<CanaryInput> = {}): CanaryInput {
  return {
    strategy: STRATEGY, replicas: 5, revision: 'new', image: 'reg/items:v2', stableImage: 'reg/items:v1',
    controls: { paused: false }, stable: { current: 5, ready: 5, promoted: false }, canary: { current: 0, ready: 0 }, now: at(0), ...over,
  };
}

/** Runs decideCanary from `prev` with the pods the decision asked for already ready. */
function settle(prev: RolloutStatus, over: Partial<CanaryInput> = {}) {
  return decideCanary(input({ prev, stable: { current: prev.stableReplicas, ready: prev.stableReplicas, promoted: false },
    canary: { current: prev.canaryReplicas, ready: prev.canaryReplicas }, ...over }));
}

describe('replica split', () => {
  it.each([
    [5, 20, 1, 4], [5, 50, 3, 2], [10, 25, 3, 7], [2, 20, 1, 1], [2, 90, 1, 1], [4, 99, 3, 1], [1, 50, 1, 1],
  ])('when %i pods at weight %i%%, then %i canary and %i stable pods', (total, weight, canary, stable) => {
    expect(splitReplicas(total, weight)).toEqual({ canary, stable });
  });

  it('when a pause follows a weight, then the weight stays in force', () => {
    expect(STRATEGY.canary.steps.map((_, i) => weightAt(STRATEGY.canary.steps, i))).toEqual([20, 20, 50, 50]);
  });
});

describe('canary state machine', () => {
  it('when a rollout begins, then the canary gets the first weight rounded to whole pods and reports that share', () => {
    const d = decideCanary(input());
    // stable keeps its 5 pods while the canary pod starts (see the next test); the step's split is 4 + 1
    expect(d).toMatchObject({ stableTemplate: 'old', stableReplicas: 5, canaryReplicas: 1 });
    expect(d.rollout).toMatchObject({ phase: 'Progressing', step: 0, canaryWeight: 20, failures: 0, stableReplicas: 4, canaryReplicas: 1 });
    expect(d.events.map((e) => e.reason)).toEqual(['CanaryStarted']);
  });

  it('when a step adds canary pods, then stable is scaled down only as they become ready: the app never serves on fewer pods', () => {
    // found on the real cluster: 4 -> 2 stable at once while 2 canary pods started left 3 serving pods for 20 s
    let r = settle(decideCanary(input()).rollout, { now: at(1) }).rollout; // 20% ready: 1 canary + 4 stable
    r = settle(r, { now: at(62), measurement: measured('pass', 62) }).rollout;
    expect(r).toMatchObject({ step: 2, canaryReplicas: 3, stableReplicas: 2 });
    const starting = (ready: number) => decideCanary(input({ prev: r, now: at(63), stable: { current: 4, ready: 4, promoted: false }, canary: { current: 3, ready } }));
    expect(starting(1)).toMatchObject({ canaryReplicas: 3, stableReplicas: 4 });
    expect(starting(2)).toMatchObject({ canaryReplicas: 3, stableReplicas: 3 });
    expect(starting(3)).toMatchObject({ canaryReplicas: 3, stableReplicas: 2 });
    // an abort is not held back by it: stable goes to full size at once
    const aborting = decideCanary(input({ prev: r, now: at(64), controls: { paused: false, abort: 'now' }, stable: { current: 4, ready: 4, promoted: false }, canary: { current: 3, ready: 1 } }));
    expect(aborting).toMatchObject({ stableReplicas: 5, canaryReplicas: 3 });
  });

  it('when every measurement passes, then the steps advance on pause expiry and the release is promoted, canary scaled down after stable', () => {
    let r = decideCanary(input()).rollout;
    r = settle(r, { now: at(1) }).rollout; // 20% ready -> pause 60 s
    expect(r).toMatchObject({ step: 1, phase: 'Progressing' });
    expect(settle(r, { now: at(30), measurement: measured('pass', 30) }).rollout.step).toBe(1);
    r = settle(r, { now: at(62), measurement: measured('pass', 62) }).rollout;
    expect(r).toMatchObject({ step: 2, canaryReplicas: 3, stableReplicas: 2, canaryWeight: 60 });
    r = settle(r, { now: at(63) }).rollout; // 50% ready
    r = settle(r, { now: at(125), measurement: measured('pass', 125) }).rollout;
    expect(r.phase).toBe('Promoting');
    // stable takes the new template at full size; the canary stays until stable has rolled out
    const promoting = decideCanary(input({ prev: r, now: at(126), canary: { current: 3, ready: 3 }, stable: { current: 5, ready: 5, promoted: false } }));
    expect(promoting).toMatchObject({ stableTemplate: 'new', stableReplicas: 5, canaryReplicas: 3 });
    const rolled = decideCanary(input({ prev: r, now: at(140), canary: { current: 3, ready: 3 }, stable: { current: 5, ready: 5, promoted: true } }));
    expect(rolled).toMatchObject({ stableTemplate: 'new', canaryReplicas: 0 });
    const done = decideCanary(input({ prev: rolled.rollout, now: at(150), stable: { current: 5, ready: 5, promoted: true } }));
    expect(done.rollout).toMatchObject({ phase: 'Promoted', canaryWeight: 100 });
    expect(done.events.map((e) => e.reason)).toEqual(['CanaryPromoted']);
  });

  it('when the pause is over but the analysis is inconclusive (too few requests), then it pauses and never passes', () => {
    let r = settle(decideCanary(input()).rollout, { now: at(1) }).rollout;
    r = settle(r, { now: at(70), measurement: measured('inconclusive', 70) }).rollout;
    expect(r).toMatchObject({ phase: 'Paused', step: 1 });
    r = settle(r, { now: at(500), measurement: measured('inconclusive', 500) }).rollout;
    expect(r).toMatchObject({ phase: 'Paused', step: 1 });
    expect(settle(r, { now: at(510), measurement: measured('pass', 510) }).rollout).toMatchObject({ step: 2 });
  });

  it('when failureLimit measurements fail, then it aborts: stable back to full size first, the canary scaled to zero only once stable is ready', () => {
    let r = settle(decideCanary(input()).rollout, { now: at(1) }).rollout;
    const first = settle(r, { now: at(20), measurement: measured('fail', 20) });
    expect(first.rollout).toMatchObject({ phase: 'Progressing', failures: 1 });
    expect(first.events.map((e) => e.reason)).toEqual(['AnalysisFailed']);
    const second = settle(first.rollout, { now: at(30), measurement: measured('fail', 30) });
    expect(second.rollout).toMatchObject({ phase: 'Aborting', failures: 2 });
    expect(second).toMatchObject({ stableReplicas: 5, canaryReplicas: 1, stableTemplate: 'old' });
    r = second.rollout;
    // stable has 4 of 5 ready: the canary keeps serving
    expect(decideCanary(input({ prev: r, now: at(31), stable: { current: 5, ready: 4, promoted: false }, canary: { current: 1, ready: 1 } })).canaryReplicas).toBe(1);
    const down = decideCanary(input({ prev: r, now: at(35), stable: { current: 5, ready: 5, promoted: false }, canary: { current: 1, ready: 1 } }));
    expect(down).toMatchObject({ canaryReplicas: 0, stableReplicas: 5 });
    expect(down.rollout.phase).toBe('Aborting');
    const gone = decideCanary(input({ prev: down.rollout, now: at(40), canary: { current: 0, ready: 0 } }));
    expect(gone.rollout.phase).toBe('Aborted');
    expect(gone.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'CanaryAborted' })]);
  });

  it('when aborted and then retried by annotation, then it starts over from the first step; the same retry value does nothing twice', () => {
    const aborted: RolloutStatus = { ...decideCanary(input()).rollout, phase: 'Aborted', failures: 2, canaryReplicas: 0, stableReplicas: 5 };
    const stay = decideCanary(input({ prev: aborted, now: at(100) }));
    expect(stay.rollout.phase).toBe('Aborted');
    const retried = decideCanary(input({ prev: aborted, now: at(101), controls: { paused: false, retry: '1' } }));
    expect(retried.rollout).toMatchObject({ phase: 'Progressing', step: 0, failures: 0, handled: { retry: '1' } });
    const again = { ...retried.rollout, phase: 'Aborted' as const };
    expect(decideCanary(input({ prev: again, now: at(102), controls: { paused: false, retry: '1' } })).rollout.phase).toBe('Aborted');
  });

  it('when promote=step, abort or pause-rollout are annotated, then each acts once per value; annotations present at the start are ignored', () => {
    const r = settle(decideCanary(input()).rollout, { now: at(1) }).rollout; // step 1: pause 60 s
    const stepped = settle(r, { now: at(2), controls: { paused: false, promote: 'step' } }).rollout;
    expect(stepped.step).toBe(2);
    const notReady = { stable: { current: 4, ready: 4, promoted: false }, canary: { current: 1, ready: 1 } };
    expect(decideCanary(input({ prev: stepped, now: at(3), controls: { paused: false, promote: 'step' }, ...notReady })).rollout.step).toBe(2);
    expect(decideCanary(input({ prev: stepped, now: at(3), controls: { paused: false, promote: 'step-2' }, ...notReady })).rollout.step).toBe(3);
    expect(settle(r, { now: at(2), controls: { paused: false, promote: 'full' } }).rollout.phase).toBe('Promoting');
    expect(settle(r, { now: at(2), controls: { paused: true } }).rollout.phase).toBe('Paused');
    expect(settle(r, { now: at(2), controls: { paused: false, abort: 'now' } }).rollout.phase).toBe('Aborting');
    const fresh = decideCanary(input({ controls: { paused: false, abort: 'old', promote: 'full' } }));
    expect(fresh.rollout).toMatchObject({ phase: 'Progressing', handled: { abort: 'old', promote: 'full' } });
  });

  it('when the migration check finds stable regressed, then the rollout halts before any canary pod', () => {
    const strategy = strategyDefaults({ type: 'Canary', canary: { migrationCheck: { windowSeconds: 30 } } });
    const start = decideCanary(input({ strategy }));
    expect(start).toMatchObject({ canaryReplicas: 0, stableReplicas: 5 });
    expect(start.rollout.phase).toBe('MigrationCheck');
    expect(measurementDue(strategy, start.rollout, 'new', at(29))).toBeUndefined();
    expect(measurementDue(strategy, start.rollout, 'new', at(30))).toBe('stable');
    const halted = decideCanary(input({ strategy, prev: start.rollout, now: at(31), measurement: measured('fail', 31, 'stable') }));
    expect(halted).toMatchObject({ canaryReplicas: 0, stableReplicas: 5 });
    expect(halted.rollout.phase).toBe('Halted');
    expect(halted.events.map((e) => e.reason)).toEqual(['MigrationBrokeStable']);
    const ok = decideCanary(input({ strategy, prev: start.rollout, now: at(31), measurement: measured('pass', 31, 'stable') }));
    expect(ok).toMatchObject({ canaryReplicas: 1 });
  });

  it('when the canary pods are ready, then measurements are due after the initial delay and every interval, not before', () => {
    const r = settle(decideCanary(input()).rollout, { now: at(1) }).rollout;
    expect(r.canaryReadyAt).toBe(at(1).toISOString());
    expect(measurementDue(STRATEGY, r, 'new', at(10))).toBeUndefined();
    expect(measurementDue(STRATEGY, r, 'new', at(11))).toBe('canary');
    const measuredOnce = { ...r, lastAnalysis: measured('pass', 11) };
    expect(measurementDue(STRATEGY, measuredOnce, 'new', at(20))).toBeUndefined();
    expect(measurementDue(STRATEGY, measuredOnce, 'new', at(21))).toBe('canary');
    expect(measurementDue(STRATEGY, measuredOnce, 'other', at(21))).toBeUndefined();
    // the pass looks again when the next one is due, not an interval after whenever it ran
    expect(settle(r, { now: at(4) }).requeueAfterMs).toBe(7000);
    expect(settle(measuredOnce, { now: at(15) }).requeueAfterMs).toBe(6000);
  });
});

describe('controls and canary Deployment', () => {
  it('when annotations are set, then promote accepts step/full (with a suffix to repeat), pause reads booleans', () => {
    const app = fastApiApp();
    app.metadata.annotations = { 'platform.fastapiapp.io/promote': 'step-2', 'platform.fastapiapp.io/pause-rollout': 'true', 'platform.fastapiapp.io/abort': ' ' };
    expect(readControls(app)).toEqual({ promote: 'step-2', paused: true });
    app.metadata.annotations = { 'platform.fastapiapp.io/promote': 'everything' };
    expect(readControls(app)).toEqual({ paused: false });
  });

  it('when the canary Deployment is built, then it is <name>-canary with the track in labels and selector, and the same template hash as stable would get', () => {
    const app = fastApiApp({ strategy: { type: 'Canary' } });
    const canary = buildCanaryDeployment(app, 'reg/items:v2', 2);
    const stable = buildDeployment(app, 'reg/items:v2');
    expect(canary.metadata!.name).toBe('items-canary');
    expect(canary.spec!.replicas).toBe(2);
    expect(canary.spec!.selector.matchLabels).toEqual({ ...stable.spec!.selector.matchLabels, [TRACK_LABEL]: 'canary' });
    expect(canary.spec!.template.metadata!.labels![TRACK_LABEL]).toBe('canary');
    expect(stable.spec!.template.metadata!.labels![TRACK_LABEL]).toBeUndefined();
    expect(canary.metadata!.annotations).toEqual(stable.metadata!.annotations);
    expect(withDefaults(app.spec).strategy.canary.steps).toHaveLength(4);
  });
});

describe('whether a new template goes out as a canary', () => {
  const app = (status: Record<string, unknown>) => ({ ...fastApiApp({ strategy: { type: 'Canary' } } as never), status } as never);
  const stableOn = (hash: string) => ({ metadata: { name: 'items', annotations: { [TEMPLATE_HASH_ANNOTATION]: hash } } }) as Deployment;
  const spec = withDefaults({ ...fastApiApp().spec, strategy: { type: 'Canary' } } as never);
  const promoted = { revision: 'h2', phase: 'Promoted' };

  it('when the release right after a promotion comes before Ready (the canary pods still exiting), then it is a canary too', () => {
    // found on the real cluster: status.templateHash still named the template before the promoted one, so the next
    // release (a 5xx one) went to every pod by a rolling update
    expect(canaryApplies(app({ templateHash: 'h1', rollout: promoted }), spec, 'h3', stableOn('h2'), true)).toBe(true);
    expect(canaryApplies(app({ templateHash: 'h2', rollout: promoted }), spec, 'h3', stableOn('h2'), true)).toBe(true);
  });

  it('when the release right after an aborted one comes while status.templateHash still names an older template, then it is a canary too', () => {
    // found on the real cluster (bench:delivery): good promoted, a 5xx release aborted before Ready named the good
    // template, then a slow release went to every pod by a rolling update
    const complete = (hash: string, ready: number): Deployment => ({ ...stableOn(hash), metadata: { ...stableOn(hash).metadata, generation: 3 },
      spec: { replicas: 5 } as never,
      status: { observedGeneration: 3, replicas: 5, updatedReplicas: 5, availableReplicas: ready, readyReplicas: ready,
        conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] } as never });
    const aborted = { revision: 'h3', phase: 'Aborted' };
    expect(canaryApplies(app({ templateHash: 'h1', rollout: aborted }), spec, 'h4', complete('h2', 5), true)).toBe(true);
    expect(canaryApplies(app({ templateHash: 'h1', rollout: aborted }), spec, 'h4', complete('h2', 3), true)).toBe(false); // not all of stable back yet
    expect(canaryApplies(app({ templateHash: 'h1', rollout: aborted }), spec, 'h2', complete('h2', 5), true)).toBe(false); // back to stable's own
  });

  it('when the spec is set back to the template stable runs, or stable runs a template never rolled out, then not', () => {
    expect(canaryApplies(app({ templateHash: 'h2', rollout: { revision: 'h3', phase: 'Aborted' } }), spec, 'h2', stableOn('h2'), true)).toBe(false);
    expect(canaryApplies(app({ templateHash: 'h1', rollout: { revision: 'h2', phase: 'Aborted' } }), spec, 'h3', stableOn('h2'), true)).toBe(false);
    expect(canaryApplies(app({}), spec, 'h3', stableOn('h2'), true)).toBe(false);
    expect(canaryApplies(app({ templateHash: 'h1', rollout: promoted }), spec, 'h3', stableOn('h2'), false)).toBe(false);
  });
});
