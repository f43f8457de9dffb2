// The BlueGreen strategy's state machine and builders without I/O (test/operator/blue-green.test.ts
// runs it on the real API server with a real Prometheus).
import type { AnalysisRecord, RolloutStatus } from '../../operator/src/api/types';
import { decideBlueGreen, type BlueGreenInput } from '../../operator/src/delivery/blue-green';
import { buildPreviewDeployment, buildPreviewService, buildService, buildSwitchedService, buildNetworkPolicy, COMPONENT_LABEL, TRACK_LABEL } from '../../operator/src/desired';
import { strategyDefaults } from '../../operator/src/desired/defaults';
import { activeOf } from '../../operator/src/reconcile/blue-green';
import { previewSelector } from '../../operator/src/desired/preview';
import { fastApiApp } from '../api/fixtures';
import { buildCanaryDeployment, buildDeployment, withDefaults } from '../../operator/src/desired';
import { servingPods } from '../../operator/src/reconcile/serving';
import { unwantedChildren } from '../../operator/src/reconcile/strategy-children';
import { rolloutConditions } from '../../operator/src/reconcile/status';
import type { Deployment, Service } from '../../operator/src/kube/types';

const T0 = Date.parse('2026-12-07T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const STRATEGY = strategyDefaults({ type: 'BlueGreen' });
const measured = (verdict: AnalysisRecord['verdict'], s: number): AnalysisRecord =>
  ({ time: at(s).toISOString(), verdict, subject: 'canary', requests: verdict === 'inconclusive' ? 3 : 100, message: verdict });

function input(over: Partial<BlueGreenInput> = {}): BlueGreenInput {
  return {
    strategy: STRATEGY, replicas: 3, revision: 'new', image: 'reg/items:v2', stableImage: 'reg/items:v1', controls: { paused: false },
    stable: { current: 3, ready: 3, promoted: false }, preview: { current: 0, ready: 0 }, activeNow: 'stable', now: at(0), ...over,
  };
}
const ready = { preview: { current: 3, ready: 3 } };

/** A rollout whose preview was ready and whose analysis passed at `s` while one preview pod restarts: Promoting, not switched yet. */
function passed(s = 20): RolloutStatus {
  const r = decideBlueGreen(input({ ...ready, prev: decideBlueGreen(input()).rollout, now: at(1) })).rollout;
  return decideBlueGreen(input({ preview: { current: 3, ready: 2 }, prev: r, now: at(s), measurement: measured('pass', s) })).rollout;
}

describe('blue-green state machine', () => {
  it('when a rollout begins, then a full-size preview starts beside full-size stable and the Service keeps selecting stable', () => {
    const d = decideBlueGreen(input());
    expect(d).toMatchObject({ stableTemplate: 'old', stableReplicas: 3, previewReplicas: 3, active: 'stable' });
    expect(d.rollout).toMatchObject({ phase: 'Progressing', canaryWeight: 0 });
    expect(d.events.map((e) => e.reason)).toEqual(['BlueGreenStarted']);
  });

  it('when the analysis passes, then the Service switches only once every preview pod is ready, and the old pods stay for the delay', () => {
    const r = passed();
    expect(r.phase).toBe('Promoting');
    const notReady = decideBlueGreen(input({ prev: r, now: at(21), preview: { current: 3, ready: 2 } }));
    expect(notReady).toMatchObject({ active: 'stable', stableTemplate: 'old' });
    expect(notReady.rollout.switchedAt).toBeUndefined();
    const switched = decideBlueGreen(input({ ...ready, prev: r, now: at(22) }));
    expect(switched).toMatchObject({ active: 'preview', stableTemplate: 'old', stableReplicas: 3, previewReplicas: 3 });
    expect(switched.rollout).toMatchObject({ switchedAt: at(22).toISOString(), canaryWeight: 100 });
    expect(switched.events.map((e) => e.reason)).toEqual(['BlueGreenSwitched']);
    const inDelay = decideBlueGreen(input({ ...ready, prev: switched.rollout, now: at(51), activeNow: 'preview' }));
    expect(inDelay).toMatchObject({ active: 'preview', stableTemplate: 'old', previewReplicas: 3 });
    expect(inDelay.requeueAfterMs).toBe(1000);
  });

  it('when the delay is over, then stable takes the new template behind the preview, the Service selects stable again, and only then the preview goes', () => {
    const r = decideBlueGreen(input({ ...ready, prev: passed(), now: at(22) })).rollout;
    const rolling = decideBlueGreen(input({ ...ready, prev: r, now: at(53), activeNow: 'preview' }));
    expect(rolling).toMatchObject({ stableTemplate: 'new', active: 'preview', previewReplicas: 3 });
    const rolled = { current: 3, ready: 3, promoted: true };
    const back = decideBlueGreen(input({ ...ready, prev: rolling.rollout, now: at(70), activeNow: 'preview', stable: rolled }));
    expect(back).toMatchObject({ stableTemplate: 'new', active: 'stable', previewReplicas: 3 });
    const down = decideBlueGreen(input({ ...ready, prev: back.rollout, now: at(71), activeNow: 'stable', stable: rolled }));
    expect(down).toMatchObject({ active: 'stable', previewReplicas: 0 });
    expect(down.rollout.phase).toBe('Promoting');
    const done = decideBlueGreen(input({ prev: down.rollout, now: at(75), stable: rolled, preview: { current: 0, ready: 0 } }));
    expect(done.rollout).toMatchObject({ phase: 'Promoted', canaryWeight: 100 });
    expect(done.events.map((e) => e.reason)).toEqual(['BlueGreenPromoted']);
  });

  it('when an abort comes within the scale-down delay, then the Service switches back at once and the preview goes only after the switch landed', () => {
    const r = decideBlueGreen(input({ ...ready, prev: passed(), now: at(22) })).rollout;
    const abort = decideBlueGreen(input({ ...ready, prev: r, now: at(30), activeNow: 'preview', controls: { paused: false, abort: 'now' } }));
    expect(abort).toMatchObject({ active: 'stable', stableTemplate: 'old', stableReplicas: 3, previewReplicas: 3 });
    expect(abort.rollout.phase).toBe('Aborting');
    const drained = decideBlueGreen(input({ ...ready, prev: abort.rollout, now: at(31), activeNow: 'stable', controls: { paused: false, abort: 'now' } }));
    expect(drained).toMatchObject({ active: 'stable', previewReplicas: 0 });
    const done = decideBlueGreen(input({ prev: drained.rollout, now: at(33), controls: { paused: false, abort: 'now' } }));
    expect(done.rollout.phase).toBe('Aborted');
    expect(done.events.map((e) => e.reason)).toEqual(['BlueGreenAborted']);
  });

  it('when an abort comes after the delay, then it is ignored (stable already takes the new template)', () => {
    const r = decideBlueGreen(input({ ...ready, prev: passed(), now: at(22) })).rollout;
    const late = decideBlueGreen(input({ ...ready, prev: r, now: at(60), activeNow: 'preview', controls: { paused: false, abort: 'late' } }));
    expect(late.rollout.phase).toBe('Promoting');
    expect(late.stableTemplate).toBe('new');
  });

  it('when too few preview requests are measured, then the rollout is paused and never promoted, until promoted by annotation', () => {
    let r = decideBlueGreen(input({ ...ready, prev: decideBlueGreen(input()).rollout, now: at(1) })).rollout;
    for (const s of [20, 30, 40, 300]) {
      const d = decideBlueGreen(input({ ...ready, prev: r, now: at(s), measurement: measured('inconclusive', s) }));
      expect(d).toMatchObject({ active: 'stable', stableTemplate: 'old' });
      r = d.rollout;
      expect(r.phase).toBe('Paused');
    }
    const promoted = decideBlueGreen(input({ ...ready, prev: r, now: at(301), controls: { paused: false, promote: 'full' } }));
    expect(promoted.rollout.phase).toBe('Promoting');
    expect(promoted.active).toBe('preview');
  });

  it('when failureLimit measurements fail, then the release aborts before any switch', () => {
    let r = passed(10);
    r = decideBlueGreen(input({ ...ready, prev: decideBlueGreen(input()).rollout, now: at(11) })).rollout;
    r = decideBlueGreen(input({ ...ready, prev: r, now: at(20), measurement: measured('fail', 20) })).rollout;
    expect(r).toMatchObject({ phase: 'Paused', failures: 1 });
    const d = decideBlueGreen(input({ ...ready, prev: r, now: at(30), measurement: measured('fail', 30) }));
    expect(d.rollout.phase).toBe('Aborting');
    expect(d.rollout.switchedAt).toBeUndefined();
    expect(d.active).toBe('stable');
  });

  it('when autoPromote is off, then a passing analysis waits for the promote annotation', () => {
    const strategy = strategyDefaults({ type: 'BlueGreen', blueGreen: { autoPromote: false } });
    const r = decideBlueGreen(input({ ...ready, strategy, prev: decideBlueGreen(input({ strategy })).rollout, now: at(1) })).rollout;
    const d = decideBlueGreen(input({ ...ready, strategy, prev: r, now: at(20), measurement: measured('pass', 20) }));
    expect(d.rollout.phase).toBe('Paused');
    expect(d.active).toBe('stable');
  });
});

describe('blue-green builders', () => {
  const app = fastApiApp();
  it('when built, then preview pods are outside the active Service and inside the preview Service and the NetworkPolicy', () => {
    const d = buildPreviewDeployment(app, 'reg/items:v2', 3);
    const podLabels = d.spec!.template.metadata!.labels!;
    expect(d.metadata!.name).toBe('items-preview');
    expect(podLabels).toMatchObject({ [TRACK_LABEL]: 'preview', [COMPONENT_LABEL]: 'preview' });
    const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    expect(selects(buildService(app).spec!.selector!)).toBe(false);
    expect(selects(buildPreviewService(app).spec!.selector!)).toBe(true);
    expect(selects(buildSwitchedService(app).spec!.selector!)).toBe(true);
    expect(selects(buildNetworkPolicy(app).spec!.podSelector!.matchLabels!)).toBe(true);
    expect(selects(d.spec!.selector.matchLabels!)).toBe(true);
    expect(activeOf(buildSwitchedService(app) as never, previewSelector(app))).toBe('preview');
    expect(activeOf(buildService(app) as never, previewSelector(app))).toBe('stable');
  });
});

describe('conditions of a blue-green rollout', () => {
  it('when a BlueGreen rollout promotes or aborts, then Promoted and Aborted carry BlueGreen reasons; a Canary keeps its own', () => {
    const r = (phase: RolloutStatus['phase']) => ({ ...decideBlueGreen(input()).rollout, phase });
    const reasons = (phase: RolloutStatus['phase'], kind: 'Canary' | 'BlueGreen') =>
      rolloutConditions(r(phase), true, kind).map((c) => `${c.type}=${c.status} ${c.reason}`);
    expect(reasons('Promoted', 'BlueGreen')).toEqual(['Promoted=True BlueGreenPromoted', 'Aborted=False BlueGreenPromoted']);
    expect(reasons('Aborted', 'BlueGreen')).toEqual(['Promoted=False BlueGreenAborted', 'Aborted=True BlueGreenAborted']);
    expect(reasons('Aborted', 'Canary')).toEqual(['Promoted=False CanaryAborted', 'Aborted=True CanaryAborted']);
    expect(rolloutConditions(r('Promoted'), false, 'BlueGreen').map((c) => c.reason)).toEqual(['NoBlueGreenRollout', 'NoBlueGreenRollout']);
  });
});

/** A Deployment as its controller reports it: `pods` pods, `ready` of them ready, its generation observed. */
const withStatus = (d: unknown, pods: number, ready = pods): Deployment => {
  const x = structuredClone(d) as Deployment;
  x.metadata.generation = 2;
  x.status = { observedGeneration: 2, replicas: pods, readyReplicas: ready };
  return x;
};

describe('the serving pods an HPA sees (scale subresource)', () => {
  const app = fastApiApp();
  it('when a canary runs, then status counts stable and canary pods, and the selector selects both', () => {
    const stable = withStatus(buildDeployment(app, 'reg/items:v1'), 3);
    const canary = withStatus(buildCanaryDeployment(app, 'reg/items:v2', 1), 1, 0);
    const s = servingPods(app, { stable, canary, service: buildService(app) as Service });
    expect(s).toMatchObject({ replicas: 4, readyReplicas: 3 });
    const selects = (d: Deployment) => s.selector.split(',').every((kv) => { const [k, v] = kv.split('='); return d.spec!.template.metadata!.labels![k!] === v; });
    expect(selects(stable)).toBe(true);
    expect(selects(canary)).toBe(true);
  });

  it('when the BlueGreen Service is switched, then status counts and selects the preview pods; switched back, stable again', () => {
    const stable = withStatus(buildDeployment(app, 'reg/items:v1'), 3);
    const preview = withStatus(buildPreviewDeployment(app, 'reg/items:v2', 3), 3, 2);
    const switched = servingPods(app, { stable, preview, service: buildSwitchedService(app) as Service });
    expect(switched).toEqual({ replicas: 3, readyReplicas: 2, selector: expect.stringContaining('fastapiapp.io/track=preview') });
    expect(switched.selector).toContain('app.kubernetes.io/component=preview');
    expect(servingPods(app, { stable, preview, service: buildService(app) as Service })).toMatchObject({ replicas: 3, readyReplicas: 3, selector: expect.not.stringContaining('preview') });
  });
});

describe('a strategy\'s children the spec no longer wants', () => {
  const app = fastApiApp();
  const mine = () => true;
  const previewService = buildPreviewService(app) as Service;
  const names = (type: 'RollingUpdate' | 'Canary' | 'BlueGreen', live: Parameters<typeof unwantedChildren>[2], blueGreen: Record<string, unknown> = {}) =>
    unwantedChildren(app, withDefaults({ ...app.spec, strategy: { type, blueGreen } }), live, mine).map((u) => `${u.resource.kind}/${u.name}`);

  it('when the strategy is no longer BlueGreen (or the preview Service is turned off), then the preview Service goes at once', () => {
    expect(names('RollingUpdate', { previewService })).toEqual(['Service/items-preview']);
    expect(names('Canary', { previewService })).toEqual(['Service/items-preview']);
    expect(names('BlueGreen', { previewService }, { previewService: false })).toEqual(['Service/items-preview']);
    expect(names('BlueGreen', { previewService })).toEqual([]);
    expect(unwantedChildren(app, withDefaults({ ...app.spec, strategy: { type: 'Canary' } }), { previewService }, () => false)).toEqual([]);
  });

  it('when a left-over canary or preview Deployment still runs pods (or its scale-down is not observed), then it stays; at zero pods it goes', () => {
    const preview = buildPreviewDeployment(app, 'reg/items:v2', 0);
    const canary = buildCanaryDeployment(app, 'reg/items:v2', 0);
    expect(names('RollingUpdate', { preview: withStatus(preview, 3), canary: withStatus(canary, 1) })).toEqual([]);
    const unobserved = withStatus(preview, 0);
    unobserved.metadata.generation = 3;
    expect(names('RollingUpdate', { preview: unobserved })).toEqual([]);
    expect(names('RollingUpdate', { preview: withStatus(preview, 0), canary: withStatus(canary, 0) })).toEqual(['Deployment/items-preview', 'Deployment/items-canary']);
    // the strategy's own child stays, scaled to zero between rollouts
    expect(names('BlueGreen', { preview: withStatus(preview, 0), canary: withStatus(canary, 0) })).toEqual(['Deployment/items-canary']);
    expect(names('Canary', { preview: withStatus(preview, 0), canary: withStatus(canary, 0) })).toEqual(['Deployment/items-preview']);
  });
});
