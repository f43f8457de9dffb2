// The Canary strategy on the real API server, its analysis answered by a real Prometheus that
// scrapes controlled request series (support/request-series.ts) per app and version. The test
// plays the Deployment and Job controllers by writing their status, as they would.
import { waitFor } from '../harness/wait';
import { metricValue } from './support/operator';
import type { VersionTraffic } from './support/request-series';
import { deliverySuite, postJobs as postJobsOf, release as releaseIn, scaleOf, scaleTo, selectsPods } from './support/delivery';
import { afterReconcile, ref } from './support/suite';
import { FASTAPIAPPS } from '../../operator/src/kube/resources';
import { condition, eventually, image, type App, type Loose } from './support/world';

jest.setTimeout(150_000);

const APPS = ['bad', 'good', 'quiet', 'broke', 'manual', 'envonly', 'slow', 'superseded', 'scaled', 'custom'] as const;
const { t, series, prom } = deliverySuite('operator-canary', APPS);

const appNow = (name: string) => t.appNow(name);
const healthy = { rps: 20, errorRatio: 0.001, latency: 0.02 };
const FAST = { intervalSeconds: 2, initialDelaySeconds: 2, windowSeconds: 10, failureLimit: 2, minRequests: 20 };

/** Created with strategy Canary, migrated for v1 and rolled out (the stable template). */
async function stableApp(name: string, canary: Record<string, unknown>): Promise<App> {
  const app = await t.world.createApp(name, { strategy: { type: 'Canary', canary }, replicas: 4 } as never);
  const job = await eventually(() => t.world.jobFor(app, ref('v1')), 'migration Job for v1');
  await t.world.finishJob(job.metadata.name, 'succeeded');
  await eventually(() => t.world.deployment(name), 'Deployment');
  await t.world.rollOut(name);
  return eventually(async () => { const a = await appNow(name); return condition(a, 'Ready')?.status === 'True' && a; }, `${name} Ready=True`);
}

/** Label matchers of the measured release's series, with the custom metrics' placeholders. */
const OWN = 'namespace="{{namespace}}", job="{{app}}", app_kubernetes_io_version="{{version}}", fastapiapp_io_track="{{track}}"';

const release = (app: App, tag: string, pendingPost: string[] = [], spec: Record<string, unknown> = {}) => releaseIn(t, app, tag, pendingPost, spec);

/**
 * A stable v1 serving healthy traffic, then v2 released as a canary with `traffic`; the canary's
 * and stable's pods of the first step played ready.
 */
async function canaryRunning(name: (typeof APPS)[number], canary: Record<string, unknown>, traffic: VersionTraffic): Promise<App> {
  series[name].set('v1', healthy);
  const app = await stableApp(name, canary);
  series[name].set('v2', traffic, 'canary');
  await release(app, 'v2');
  await eventually(() => t.world.deployment(`${name}-canary`), 'canary Deployment');
  await t.world.rollOut(name);
  await t.world.rollOut(`${name}-canary`);
  return app;
}

const rolloutOf = async (name: string) => (await appNow(name)).status?.rollout;
const postJobs = (app: App) => postJobsOf(t, app);

test('when the canary answers 5xx, then it is aborted: stable back to full size first, the canary scaled to zero only after, Aborted=True', async () => {
  series.bad.set('v1', healthy);
  // the default analysis (10 s delay and interval, failure limit 2, 60 s window): the abort time is the defaults'
  const app = await stableApp('bad', { steps: [{ weight: 25 }, { pause: { durationSeconds: 300 } }], migrationCheck: { windowSeconds: 0 } });
  series.bad.set('v2', { rps: 10, errorRatio: 0.3, latency: 0.02 }, 'canary');
  await release(app, 'v2');
  const canary = await eventually(async () => { const d = await t.world.deployment('bad-canary'); return d?.spec.replicas === 1 && d; }, 'canary Deployment with 1 pod');
  expect(image(canary)).toBe(ref('v2'));
  expect(canary.spec.template.metadata.labels['fastapiapp.io/track']).toBe('canary');
  const stable = await eventually(async () => { const d = await t.world.deployment('bad'); return d?.spec.replicas === 3 && d; }, 'stable at 3 pods');
  expect(image(stable)).toBe(ref('v1'));
  await t.world.rollOut('bad');
  await t.world.rollOut('bad-canary');
  const readyAt = Date.now();
  // the scale subresource (what an HPA reads) counts the canary's pod too: 3 + 1 = spec.replicas
  await eventually(async () => (await scaleOf(t, 'bad')).status.replicas === 4, 'scale counts stable and canary pods');
  // the abort: stable is asked for 4 pods while the canary still has its pod
  const aborting = await eventually(async () => { const r = await rolloutOf('bad'); return r?.phase === 'Aborting' && r; }, 'Aborting', 45_000);
  const abortedAfterMs = Date.now() - readyAt;
  process.stdout.write(`canary Ready (played) to Aborting: ${abortedAfterMs} ms\n`);
  expect(aborting.lastAnalysis).toMatchObject({ verdict: 'fail', subject: 'canary' });
  expect(Number(aborting.lastAnalysis!.errorRatio)).toBeGreaterThan(0.2);
  expect(aborting.failures).toBe(2);
  const up = await eventually(async () => { const d = await t.world.deployment('bad'); return d?.spec.replicas === 4 && d; }, 'stable back to 4');
  expect(image(up)).toBe(ref('v1'));
  // processed and still not scaled down: the canary waits for stable's pods
  await afterReconcile(t.op, 'a stable status short of 4', () => t.world.rollOut('bad', () => 3));
  expect((await t.world.deployment('bad-canary'))?.spec.replicas).toBe(1);
  await t.world.rollOut('bad');
  await eventually(async () => (await t.world.deployment('bad-canary'))?.spec.replicas === 0, 'canary scaled to 0 after stable is ready');
  await t.world.rollOut('bad-canary');
  const a = await eventually(async () => { const x = await appNow('bad'); return condition(x, 'Aborted')?.status === 'True' && x; }, 'Aborted=True');
  expect(condition(a, 'Degraded')).toMatchObject({ status: 'True', reason: 'CanaryAborted', observedGeneration: a.metadata.generation });
  expect(condition(a, 'Promoted')?.status).toBe('False');
  expect(condition(a, 'Ready')?.status).toBe('False');
  expect(a.status?.rollout).toMatchObject({ phase: 'Aborted', canaryReplicas: 0, stableReplicas: 4 });
  expect((await scaleOf(t, 'bad')).status.replicas).toBe(4);
  const reasons = (await t.world.events('bad')).map((e) => e.reason);
  expect(reasons).toEqual(expect.arrayContaining(['CanaryStarted', 'AnalysisFailed', 'CanaryAborting', 'CanaryAborted']));
  expect(await metricValue(t.op, 'fastapiapp_rollout_phase', { app_namespace: t.ns, app_name: 'bad', phase: 'Aborted' })).toBe(1);
  expect(await metricValue(t.op, 'fastapiapp_rollout_analyses_total', { subject: 'canary', verdict: 'fail' })).toBeGreaterThanOrEqual(2);
  expect(await postJobs(app)).toEqual([]);
  // the same 45 s bound the issue sets on the cluster, here from the (played) canary Ready
  expect(abortedAfterMs).toBeLessThan(45_000);
});

test('when the canary is healthy, then the steps advance, stable takes the new template, the canary goes and only then the post-deploy Job runs', async () => {
  series.good.set('v1', healthy);
  // a custom metric that passes: the canary's share of 2xx answers, at least 0.5
  const okShare = { name: 'ok-share', thresholdRange: { min: '0.5' }, query: `sum(rate(http_requests_total{${OWN}, status_code="200"}[{{window}}])) / sum(rate(http_requests_total{${OWN}}[{{window}}]))` };
  const app = await stableApp('good', { steps: [{ weight: 50 }, { pause: { durationSeconds: 4 } }], analysis: { ...FAST, metrics: [okShare] }, migrationCheck: { windowSeconds: 0 } });
  series.good.set('v2', healthy, 'canary');
  await release(app, 'v2', ['006_drop_c1']);
  await eventually(async () => (await t.world.deployment('good-canary'))?.spec.replicas === 2, 'canary at 2 of 4 pods');
  await eventually(async () => (await t.world.deployment('good'))?.spec.replicas === 2, 'stable at 2 of 4 pods');
  await t.world.rollOut('good');
  await t.world.rollOut('good-canary');
  const progressing = await eventually(async () => { const r = await rolloutOf('good'); return r?.step === 1 && r; }, 'pause step');
  expect(progressing).toMatchObject({ canaryWeight: 50, canaryReplicas: 2, stableReplicas: 2 });
  expect(condition(await appNow('good'), 'PostMigrated')).toMatchObject({ status: 'False', reason: 'PostDeployMigrationPending' });
  expect(await postJobs(app)).toEqual([]);
  const promoting = await eventually(async () => { const r = await rolloutOf('good'); return r?.phase === 'Promoting' && r; }, 'Promoting', 40_000);
  expect(promoting.lastAnalysis).toMatchObject({ verdict: 'pass', subject: 'canary' });
  expect(promoting.lastAnalysis!.checks).toEqual(expect.arrayContaining([{ name: 'ok-share', verdict: 'pass', value: expect.stringMatching(/^0\.99/) }]));
  expect(Number(promoting.measuredCanaryShare)).toBeGreaterThan(20);
  const stable = await eventually(async () => { const d = await t.world.deployment('good'); return image(d) === ref('v2') && d; }, 'stable on v2');
  expect(stable.spec.replicas).toBe(4);
  // the canary keeps its pods until stable has rolled out
  expect((await t.world.deployment('good-canary'))?.spec.replicas).toBe(2);
  expect(await postJobs(app)).toEqual([]);
  await t.world.rollOut('good');
  await eventually(async () => (await t.world.deployment('good-canary'))?.spec.replicas === 0, 'canary scaled to 0');
  await t.world.rollOut('good-canary');
  const a = await eventually(async () => { const x = await appNow('good'); return condition(x, 'Promoted')?.status === 'True' && x; }, 'Promoted=True');
  expect(condition(a, 'Aborted')?.status).toBe('False');
  await eventually(async () => condition(await appNow('good'), 'Ready')?.status === 'True', 'Ready=True after promotion');
  await eventually(async () => (await postJobs(app)).length === 1, 'the post-deploy Job, after promotion');
  expect((await t.world.events('good')).map((e) => e.reason)).toEqual(expect.arrayContaining(['CanaryStarted', 'CanaryStep', 'CanaryPromoting', 'CanaryPromoted']));
});

test('when the canary gets too little traffic, then the analysis is inconclusive and the rollout pauses, never promoted', async () => {
  await canaryRunning('quiet', { steps: [{ weight: 25 }, { pause: { durationSeconds: 2 } }], analysis: FAST, migrationCheck: { windowSeconds: 0 } },
    { rps: 0.2, errorRatio: 0, latency: 0.02 });
  const paused = await eventually(async () => { const r = await rolloutOf('quiet'); return r?.phase === 'Paused' && r.lastAnalysis?.verdict === 'inconclusive' && r; }, 'Paused, inconclusive', 40_000);
  // two more measurements later it is still paused on the same step, stable on v1
  const later = await eventually(async () => {
    const r = await rolloutOf('quiet');
    return r?.lastAnalysis && Date.parse(r.lastAnalysis.time) >= Date.parse(paused.lastAnalysis!.time) + 4000 && r;
  }, 'two more measurements', 30_000);
  expect(later).toMatchObject({ phase: 'Paused', step: 1, lastAnalysis: { verdict: 'inconclusive' } });
  expect(image(await t.world.deployment('quiet'))).toBe(ref('v1'));
  expect(condition(await appNow('quiet'), 'Promoted')?.status).toBe('False');
});

test('when the migration breaks stable, then the release halts with MigrationBrokeStable before any canary pod', async () => {
  series.broke.set('v1', healthy);
  const app = await stableApp('broke', { steps: [{ weight: 25 }], analysis: FAST, migrationCheck: { windowSeconds: 8 } });
  // let Prometheus see a healthy stable before the migration
  await waitFor('stable series scraped', async () => ((await prom().query(`http_requests_total{job="broke"}`)).data?.result.length ? true : undefined), 20_000);
  await release(app, 'v2');
  series.broke.set('v1', { rps: 20, errorRatio: 0.3, latency: 0.02 }); // the old code fails on the new schema
  const check = await eventually(async () => { const r = await rolloutOf('broke'); return r?.phase === 'MigrationCheck' && r; }, 'MigrationCheck');
  expect(check.canaryReplicas).toBe(0);
  const a = await eventually(async () => { const x = await appNow('broke'); return x.status?.rollout?.phase === 'Halted' && x; }, 'Halted', 40_000);
  expect(condition(a, 'Degraded')).toMatchObject({ status: 'True', reason: 'MigrationBrokeStable' });
  expect(condition(a, 'Aborted')).toMatchObject({ status: 'True', reason: 'MigrationBrokeStable' });
  expect(a.status?.rollout?.lastAnalysis).toMatchObject({ subject: 'stable', verdict: 'fail' });
  const canary = await t.world.deployment('broke-canary') as Loose | undefined;
  expect(canary?.spec.replicas ?? 0).toBe(0);
  expect((await t.world.events('broke')).map((e) => e.reason)).toContain('MigrationBrokeStable');
  expect(image(await t.world.deployment('broke'))).toBe(ref('v1'));
});

test('when abort, retry-rollout and promote=full are annotated, then the rollout aborts, starts over and is promoted; each value acts once', async () => {
  await canaryRunning('manual', { steps: [{ weight: 25 }, { pause: {} }], analysis: FAST, migrationCheck: { windowSeconds: 0 } }, healthy);
  const annotate = (annotations: Record<string, string>) => t.world.mergePatch(FASTAPIAPPS, 'manual', { metadata: { annotations } });
  await eventually(async () => { const r = await rolloutOf('manual'); return r?.phase === 'Paused' && r.step === 1; }, 'paused until promoted');

  await annotate({ 'platform.fastapiapp.io/abort': 'first' });
  await eventually(async () => (await rolloutOf('manual'))?.phase === 'Aborting', 'Aborting');
  await eventually(async () => (await t.world.deployment('manual'))?.spec.replicas === 4, 'stable back to 4');
  await t.world.rollOut('manual');
  await eventually(async () => (await t.world.deployment('manual-canary'))?.spec.replicas === 0, 'canary at 0');
  await t.world.rollOut('manual-canary');
  await eventually(async () => condition(await appNow('manual'), 'Aborted')?.status === 'True', 'Aborted=True');

  await annotate({ 'platform.fastapiapp.io/retry-rollout': '1' });
  const again = await eventually(async () => { const r = await rolloutOf('manual'); return r?.phase === 'Progressing' && r.canaryReplicas === 1 && r; }, 'retried from step 1');
  expect(again).toMatchObject({ step: 0, failures: 0, handled: { abort: 'first', retry: '1' } });
  expect(condition(await appNow('manual'), 'Aborted')?.status).toBe('False');
  await eventually(async () => (await t.world.deployment('manual-canary'))?.spec.replicas === 1, 'canary back to 1');
  await t.world.rollOut('manual');
  await t.world.rollOut('manual-canary');
  await eventually(async () => { const r = await rolloutOf('manual'); return r?.phase === 'Paused' && r.step === 1; }, 'paused again');

  await annotate({ 'platform.fastapiapp.io/promote': 'full' });
  await eventually(async () => image(await t.world.deployment('manual')) === ref('v2'), 'stable on v2');
  await t.world.rollOut('manual');
  await eventually(async () => (await t.world.deployment('manual-canary'))?.spec.replicas === 0, 'canary at 0 after promotion');
  await t.world.rollOut('manual-canary');
  const a = await eventually(async () => { const x = await appNow('manual'); return condition(x, 'Promoted')?.status === 'True' && x; }, 'Promoted=True');
  expect(a.status?.rollout?.handled).toEqual({ abort: 'first', retry: '1', promote: 'full' });
  expect(condition(a, 'Aborted')?.status).toBe('False');
});

test('when only env changes (same tag), then the canary is still told apart from stable by its track and promoted', async () => {
  series.envonly.set('v1', healthy);
  const app = await stableApp('envonly', { steps: [{ weight: 50 }, { pause: { durationSeconds: 2 } }], analysis: FAST, migrationCheck: { windowSeconds: 0 } });
  series.envonly.set('v1', healthy, 'canary');
  await release(app, 'v1', [], { env: [{ name: 'FEATURE', value: 'on' }] });
  const canary = await eventually(() => t.world.deployment('envonly-canary'), 'canary Deployment');
  expect(canary.spec.template.spec.containers[0].env).toEqual(expect.arrayContaining([{ name: 'FEATURE', value: 'on' }]));
  expect((await t.world.deployment('envonly'))?.spec.template.spec.containers[0].env).not.toEqual(expect.arrayContaining([{ name: 'FEATURE', value: 'on' }]));
  await t.world.rollOut('envonly');
  await t.world.rollOut('envonly-canary');
  const promoting = await eventually(async () => { const r = await rolloutOf('envonly'); return r?.phase === 'Promoting' && r; }, 'Promoting', 40_000);
  expect(promoting.lastAnalysis).toMatchObject({ verdict: 'pass', subject: 'canary' });
  expect(Number(promoting.measuredCanaryShare)).toBeGreaterThan(20);
  expect(Number(promoting.measuredCanaryShare)).toBeLessThan(80);
});

test('when the canary is 300 ms slower on every request, then it is aborted on p99 relative to stable', async () => {
  await canaryRunning('slow', { steps: [{ weight: 25 }, { pause: { durationSeconds: 300 } }], analysis: FAST, migrationCheck: { windowSeconds: 0 } },
    { rps: 10, errorRatio: 0.001, latency: 0.32 });
  const aborting = await eventually(async () => { const r = await rolloutOf('slow'); return r?.phase === 'Aborting' && r; }, 'Aborting', 40_000);
  expect(aborting.lastAnalysis).toMatchObject({ verdict: 'fail', subject: 'canary', message: expect.stringMatching(/p99Factor [0-9.]+ > 2 \(fail\)/) });
  expect(aborting.lastAnalysis!.message).toMatch(/errorRatio [0-9.e-]+ <= 0.05 \(pass\)/);
  expect(Number(aborting.lastAnalysis!.p99Seconds)).toBeGreaterThan(0.25);
});

test('when a newer release starts migrating during a canary, then stable returns to full size before the old canary is scaled to zero', async () => {
  series.superseded.set('v1', healthy);
  const app = await stableApp('superseded', { steps: [{ weight: 25 }, { pause: {} }], analysis: FAST, migrationCheck: { windowSeconds: 0 } });
  await release(app, 'v2');
  await eventually(async () => (await t.world.deployment('superseded-canary'))?.spec.replicas === 1, 'canary at 1');
  await t.world.rollOut('superseded');
  await t.world.rollOut('superseded-canary');
  await t.world.patchSpec('superseded', { tag: 'v3' }); // its migration Job runs: no canary of v3 yet
  await eventually(async () => (await t.world.deployment('superseded'))?.spec.replicas === 4, 'stable back to 4');
  await afterReconcile(t.op, 'stable short of 4', () => t.world.rollOut('superseded', () => 3));
  expect((await t.world.deployment('superseded-canary'))?.spec.replicas).toBe(1);
  await t.world.rollOut('superseded');
  await eventually(async () => (await t.world.deployment('superseded-canary'))?.spec.replicas === 0, 'old canary at 0 once stable is ready');
  expect(image(await t.world.deployment('superseded'))).toBe(ref('v1'));
});

test('when an HPA scales the app during a canary, then the scale subresource counts stable and canary pods, the new total is split by the weight, and after promotion stable holds it', async () => {
  await canaryRunning('scaled', { steps: [{ weight: 25 }, { pause: {} }], analysis: FAST, migrationCheck: { windowSeconds: 0 } }, healthy);
  await eventually(async () => { const r = await rolloutOf('scaled'); return r?.phase === 'Paused' && r.step === 1; }, 'paused at 25%');
  // 1 canary + 3 stable pods; the HPA's view: spec 4, status 4, a selector over both Deployments' pods
  const before = await eventually(async () => { const x = await scaleOf(t, 'scaled'); return x.status.replicas === 4 && x; }, 'scale counts 4 pods');
  expect(before.spec.replicas).toBe(4);
  expect(selectsPods(before.status.selector, await t.world.deployment('scaled'))).toBe(true);
  expect(selectsPods(before.status.selector, await t.world.deployment('scaled-canary'))).toBe(true);

  // the HPA sets 8 through the scale subresource: the operator keeps 25%, 2 canary + 6 stable
  await scaleTo(t, 'scaled', 8);
  await eventually(async () => (await t.world.deployment('scaled-canary'))?.spec.replicas === 2, 'canary at 2 of 8');
  await eventually(async () => (await t.world.deployment('scaled'))?.spec.replicas === 6, 'stable at 6 of 8');
  expect(image(await t.world.deployment('scaled'))).toBe(ref('v1'));
  await t.world.rollOut('scaled');
  await t.world.rollOut('scaled-canary');
  await eventually(async () => (await scaleOf(t, 'scaled')).status.replicas === 8, 'scale counts 8 pods');
  expect(await rolloutOf('scaled')).toMatchObject({ canaryReplicas: 2, stableReplicas: 6, canaryWeight: 25 });
  expect((await appNow('scaled')).status?.readyReplicas).toBe(8);

  await t.world.mergePatch(FASTAPIAPPS, 'scaled', { metadata: { annotations: { 'platform.fastapiapp.io/promote': 'full' } } });
  const promoted = await eventually(async () => { const d = await t.world.deployment('scaled'); return image(d) === ref('v2') && d; }, 'stable on v2');
  expect(promoted.spec.replicas).toBe(8);
  await t.world.rollOut('scaled');
  await eventually(async () => (await t.world.deployment('scaled-canary'))?.spec.replicas === 0, 'canary at 0 after promotion');
  await t.world.rollOut('scaled-canary');
  await eventually(async () => condition(await appNow('scaled'), 'Promoted')?.status === 'True', 'Promoted=True');
  const after = await scaleOf(t, 'scaled');
  expect(after).toMatchObject({ spec: { replicas: 8 }, status: { replicas: 8 } });
  expect(selectsPods(after.status.selector, promoted)).toBe(true);
});

test('when a custom metric of a healthy canary is out of its range, then the measurements fail on it and the canary is aborted; a query without data is inconclusive', async () => {
  const metrics = [
    // at most 1 successful canary request per window: a healthy canary at 20 rps is far above it
    { name: 'served', thresholdRange: { max: '1' }, query: `sum(increase(http_requests_total{${OWN}, status_code="200"}[{{window}}]))` },
    { name: 'absent', thresholdRange: { max: '1' }, query: 'sum(no_such_series{job="{{app}}"})' },
  ];
  await canaryRunning('custom', { steps: [{ weight: 25 }, { pause: { durationSeconds: 300 } }], analysis: { ...FAST, metrics }, migrationCheck: { windowSeconds: 0 } }, healthy);
  const aborting = await eventually(async () => { const r = await rolloutOf('custom'); return r?.phase === 'Aborting' && r; }, 'Aborting', 40_000);
  expect(aborting.failures).toBe(2);
  const checks = Object.fromEntries((aborting.lastAnalysis!.checks ?? []).map((c) => [c.name, c]));
  // the built-in checks pass: only the custom one fails
  expect(checks).toMatchObject({ errorRatio: { verdict: 'pass' }, p99: { verdict: 'pass' }, served: { verdict: 'fail' }, absent: { verdict: 'inconclusive' } });
  expect(Number(checks.served!.value)).toBeGreaterThan(50);
  expect(checks.absent!.value).toBeUndefined();
  expect(aborting.lastAnalysis!.message).toMatch(/served [0-9.]+ not <= 1 \(fail\)/);
  expect(aborting.lastAnalysis!.message).toContain('absent n/a <= 1 (inconclusive: no data)');
  expect(await metricValue(t.op, 'fastapiapp_rollout_checks_total', { subject: 'canary', check: 'served', verdict: 'fail' })).toBeGreaterThanOrEqual(2);
  expect(await metricValue(t.op, 'fastapiapp_rollout_checks_total', { subject: 'canary', check: 'absent', verdict: 'inconclusive' })).toBeGreaterThanOrEqual(2);
  await eventually(async () => (await t.world.deployment('custom'))?.spec.replicas === 4, 'stable back to 4');
});
