// The BlueGreen strategy on the real API server, its pre-promotion analysis answered by a real
// Prometheus scraping controlled request series (support/request-series.ts) per app, version and
// track. The test plays the Deployment and Job controllers by writing their status, as they would.
import { metricValue } from './support/operator';
import { deliverySuite, postJobs as postJobsOf, release as releaseIn, scaleOf, selectsPods } from './support/delivery';
import { ref } from './support/suite';
import { FASTAPIAPPS, SERVICES } from '../../operator/src/kube/resources';
import { condition, eventually, image, type App } from './support/world';
import { afterGeneration } from './support/suite';

jest.setTimeout(150_000);

const APPS = ['bgood', 'brollback', 'bquiet'] as const;
const { t, series } = deliverySuite('operator-bluegreen', APPS);
const release = (app: App, tag: string, pendingPost: string[] = []) => releaseIn(t, app, tag, pendingPost);
const postJobs = (app: App) => postJobsOf(t, app);

const appNow = (name: string) => t.appNow(name);
const healthy = { rps: 20, errorRatio: 0.001, latency: 0.02 };
const FAST = { intervalSeconds: 2, initialDelaySeconds: 2, windowSeconds: 10, failureLimit: 2, minRequests: 20 };
const TRACK = 'fastapiapp.io/track';

/**
 * A custom metric of every preview analysis: the preview's own requests in the window, at least one.
 * It passes only if {{track}} is filled in with "preview" (stable's series have no track).
 */
const PREVIEW_SERVED = {
  name: 'served', thresholdRange: { min: '1' },
  query: 'sum(increase(http_requests_total{namespace="{{namespace}}", job="{{app}}", app_kubernetes_io_version="{{version}}", fastapiapp_io_track="{{track}}"}[{{window}}]))',
};

async function stableApp(name: string, blueGreen: Record<string, unknown>): Promise<App> {
  const app = await t.world.createApp(name, { strategy: { type: 'BlueGreen', blueGreen, canary: { analysis: { ...FAST, metrics: [PREVIEW_SERVED] } } }, replicas: 4 } as never);
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'migration Job for v1');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => t.world.deployment(name), 'Deployment');
  await t.world.rollOut(name);
  return eventually(async () => { const a = await appNow(name); return condition(a, 'Ready')?.status === 'True' && a; }, `${name} Ready=True`);
}

const rolloutOf = async (name: string) => (await appNow(name)).status?.rollout;
/** The track the Service <name> selects: 'preview', or '' (stable pods carry no track). */
const activeTrack = async (name: string): Promise<string> => (await t.world.get(SERVICES, name))?.spec.selector?.[TRACK] ?? '';

/** Stable v1 serving, v2 released with `traffic` on its preview, the full-size preview played ready. */
async function previewRunning(name: (typeof APPS)[number], blueGreen: Record<string, unknown>, traffic: typeof healthy, pendingPost: string[] = []): Promise<App> {
  series[name].set('v1', healthy);
  const app = await stableApp(name, blueGreen);
  series[name].set('v2', traffic, 'preview');
  await release(app, 'v2', pendingPost);
  const preview = await eventually(async () => { const d = await t.world.deployment(`${name}-preview`); return d?.spec.replicas === 4 && d; }, 'preview at full size');
  expect(image(preview)).toBe(ref('v2'));
  expect(preview.spec.template.metadata.labels[TRACK]).toBe('preview');
  const previewService = await eventually(() => t.world.get(SERVICES, `${name}-preview`), 'preview Service');
  expect(previewService.spec.selector).toMatchObject({ [TRACK]: 'preview', 'app.kubernetes.io/instance': name });
  // before the preview is ready: not analysed, not switched, stable untouched at full size
  const started = await eventually(() => rolloutOf(name), 'status.rollout');
  expect(started).toMatchObject({ phase: 'Progressing', canaryReplicas: 4, stableReplicas: 4 });
  expect(await activeTrack(name)).toBe('');
  const stable = await t.world.deployment(name);
  expect(stable?.spec.replicas).toBe(4);
  expect(image(stable)).toBe(ref('v1'));
  // the Deployment controller observes both (the held stable's generation moved with the rollout's apply)
  await t.world.rollOut(name);
  await t.world.rollOut(`${name}-preview`);
  return app;
}

test('when the preview is healthy, then it is analysed on its track, the Service switches to it, old pods stay for the delay, and only after scale-down the post-deploy Job runs', async () => {
  const app = await previewRunning('bgood', { scaleDownDelaySeconds: 8 }, healthy, ['006_drop_c1']);
  const switched = await eventually(async () => { const r = await rolloutOf('bgood'); return r?.switchedAt && r; }, 'switched', 40_000);
  expect(switched).toMatchObject({ phase: 'Promoting', canaryWeight: 100, lastAnalysis: { verdict: 'pass', subject: 'canary' } });
  expect(switched.lastAnalysis!.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'served', verdict: 'pass' })]));
  expect(Number(switched.lastAnalysis!.requests)).toBeGreaterThanOrEqual(FAST.minRequests);
  expect(await activeTrack('bgood')).toBe('preview');
  // an HPA on the FastApiApp now sees the pods that take the traffic: the preview's
  const switchedScale = await eventually(async () => { const x = await scaleOf(t, 'bgood'); return selectsPods(x.status.selector, await t.world.deployment('bgood-preview')) && x; }, 'scale selects the preview');
  expect(switchedScale).toMatchObject({ spec: { replicas: 4 }, status: { replicas: 4 } });
  expect(selectsPods(switchedScale.status.selector, await t.world.deployment('bgood'))).toBe(false);
  // within the delay the old pods stay: stable on v1 at full size
  const held = await t.world.deployment('bgood');
  expect(held?.spec.replicas).toBe(4);
  expect(image(held)).toBe(ref('v1'));
  expect(await postJobs(app)).toEqual([]);
  // after the delay stable takes v2 while the Service still selects the preview
  await eventually(async () => image(await t.world.deployment('bgood')) === ref('v2'), 'stable on v2 after the delay', 30_000);
  expect(Date.now() - Date.parse(switched.switchedAt!)).toBeGreaterThanOrEqual(8000);
  expect(await activeTrack('bgood')).toBe('preview');
  expect((await t.world.deployment('bgood-preview'))?.spec.replicas).toBe(4);
  await t.world.rollOut('bgood');
  await eventually(async () => (await activeTrack('bgood')) === '', 'the Service selects stable again');
  await eventually(async () => (await t.world.deployment('bgood-preview'))?.spec.replicas === 0, 'preview scaled to 0');
  await t.world.rollOut('bgood-preview');
  const a = await eventually(async () => { const x = await appNow('bgood'); return condition(x, 'Promoted')?.status === 'True' && x; }, 'Promoted=True');
  expect(condition(a, 'Promoted')?.reason).toBe('BlueGreenPromoted');
  expect(condition(a, 'Aborted')?.status).toBe('False');
  const promotedScale = await scaleOf(t, 'bgood');
  expect(promotedScale.status.replicas).toBe(4);
  expect(selectsPods(promotedScale.status.selector, await t.world.deployment('bgood'))).toBe(true);
  expect(selectsPods(promotedScale.status.selector, await t.world.deployment('bgood-preview'))).toBe(false);
  await eventually(async () => (await postJobs(app)).length === 1, 'the post-deploy Job, after promotion and scale-down');
  expect((await t.world.events('bgood')).map((e) => e.reason))
    .toEqual(expect.arrayContaining(['BlueGreenStarted', 'BlueGreenPromoting', 'BlueGreenSwitched', 'BlueGreenPromoted']));
  expect(await metricValue(t.op, 'fastapiapp_rollout_phase', { app_namespace: t.ns, app_name: 'bgood', phase: 'Promoted' })).toBe(1);

  // BlueGreen -> Canary: the preview Service and the (drained) preview Deployment are no longer wanted
  expect(await t.world.get(SERVICES, 'bgood-preview')).toBeDefined();
  await afterGeneration(t, 'bgood', { strategy: { type: 'Canary' } });
  expect(await t.world.get(SERVICES, 'bgood-preview')).toBeUndefined();
  expect(await t.world.deployment('bgood-preview')).toBeUndefined();
  expect(await t.world.get(SERVICES, 'bgood')).toBeDefined();
});

test('when aborted within the scale-down delay, then the Service switches back to the old pods at once, without waiting for any pod', async () => {
  await previewRunning('brollback', { scaleDownDelaySeconds: 300 }, healthy);
  await eventually(async () => (await activeTrack('brollback')) === 'preview', 'switched to the preview', 40_000);
  const abortAt = Date.now();
  await t.world.mergePatch(FASTAPIAPPS, 'brollback', { metadata: { annotations: { 'platform.fastapiapp.io/abort': 'bad-after-all' } } });
  // no Deployment status is played between the abort and the switch back
  await eventually(async () => (await activeTrack('brollback')) === '', 'the Service back on stable');
  const backAfterMs = Date.now() - abortAt;
  process.stdout.write(`abort annotation to Service back on stable: ${backAfterMs} ms\n`);
  expect(backAfterMs).toBeLessThan(5000);
  const stable = await t.world.deployment('brollback');
  expect(image(stable)).toBe(ref('v1'));
  expect(stable?.spec.replicas).toBe(4);
  await eventually(async () => (await t.world.deployment('brollback-preview'))?.spec.replicas === 0, 'preview scaled to 0');
  await t.world.rollOut('brollback-preview');
  const a = await eventually(async () => { const x = await appNow('brollback'); return condition(x, 'Aborted')?.status === 'True' && x; }, 'Aborted=True');
  expect(condition(a, 'Degraded')).toMatchObject({ status: 'True', reason: 'BlueGreenAborted' });
  expect(condition(a, 'Aborted')?.reason).toBe('BlueGreenAborted');
  expect(a.status?.rollout).toMatchObject({ phase: 'Aborted', canaryReplicas: 0, canaryWeight: 0 });
  expect((await t.world.events('brollback')).map((e) => e.reason)).toEqual(expect.arrayContaining(['BlueGreenSwitched', 'BlueGreenAborting', 'BlueGreenAborted']));
  expect(await metricValue(t.op, 'fastapiapp_apps_degraded', { reason: 'BlueGreenAborted' })).toBeGreaterThanOrEqual(1);

  // BlueGreen -> RollingUpdate: the preview Service and the drained preview Deployment go
  expect(await t.world.get(SERVICES, 'brollback-preview')).toBeDefined();
  await afterGeneration(t, 'brollback', { strategy: { type: 'RollingUpdate' } });
  expect(await t.world.get(SERVICES, 'brollback-preview')).toBeUndefined();
  expect(await t.world.deployment('brollback-preview')).toBeUndefined();
});

test('when the preview gets too few requests, then the analysis is inconclusive and the rollout pauses, never switched', async () => {
  await previewRunning('bquiet', {}, { rps: 0.2, errorRatio: 0, latency: 0.02 });
  const paused = await eventually(async () => { const r = await rolloutOf('bquiet'); return r?.phase === 'Paused' && r.lastAnalysis?.verdict === 'inconclusive' && r; }, 'Paused, inconclusive', 40_000);
  const later = await eventually(async () => {
    const r = await rolloutOf('bquiet');
    return r?.lastAnalysis && Date.parse(r.lastAnalysis.time) >= Date.parse(paused.lastAnalysis!.time) + 4000 && r;
  }, 'two more measurements', 30_000);
  expect(later).toMatchObject({ phase: 'Paused', lastAnalysis: { verdict: 'inconclusive' } });
  expect(later.switchedAt).toBeUndefined();
  expect(await activeTrack('bquiet')).toBe('');
  expect(image(await t.world.deployment('bquiet'))).toBe(ref('v1'));
  expect(condition(await appNow('bquiet'), 'Promoted')?.status).toBe('False');

  // switched to Canary mid-rollout (the preview at full size, never switched): the preview Service
  // goes at once; the preview Deployment is scaled to zero (stable serves at full size), then deleted
  await afterGeneration(t, 'bquiet', { strategy: { type: 'Canary' } });
  expect(await t.world.get(SERVICES, 'bquiet-preview')).toBeUndefined();
  await eventually(async () => (await t.world.deployment('bquiet-preview'))?.spec.replicas === 0, 'preview scaled to 0');
  await t.world.rollOut('bquiet-preview');
  await eventually(async () => !(await t.world.deployment('bquiet-preview')), 'preview Deployment deleted');
});
