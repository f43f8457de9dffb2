// Shared by the progressive-delivery suites (canary.test.ts, blue-green.test.ts): one operator
// whose PROMETHEUS_URL is a real Prometheus scraping a controlled request series per app, and a
// release helper that sets a tag and plays its pre-deploy migration Job to success.
import type { OperatorConfig } from '../../../operator/src/config';
import { PHASE_ANNOTATION } from '../../../operator/src/desired/migration-job';
import { startPrometheus, type RunningPrometheus } from '../../monitoring/support/prometheus';
import { RequestSeries } from './request-series';
import { operatorSuite, ref, type OperatorSuite } from './suite';
import { FASTAPIAPPS, resourcePath } from '../../../operator/src/kube/resources';
import { eventually, type App, type Loose } from './world';

export interface DeliverySuite<A extends string> {
  t: OperatorSuite;
  series: Record<A, RequestSeries>;
  prom(): RunningPrometheus;
}

/** Registers the series servers and Prometheus (before the operator starts: it needs the URL), then the operator suite. */
export function deliverySuite<A extends string>(namespacePrefix: string, apps: readonly A[]): DeliverySuite<A> {
  const series = Object.fromEntries(apps.map((a) => [a, new RequestSeries(() => t.ns)])) as Record<A, RequestSeries>;
  const overrides: Partial<OperatorConfig> = {};
  let prom: RunningPrometheus | undefined;
  beforeAll(async () => {
    const addresses = await Promise.all(apps.map((a) => series[a].start()));
    prom = await startPrometheus({
      interval: '1s', ruleFiles: [],
      jobs: apps.map((a, i) => ({ job: `feed-${a}`, targets: [addresses[i]!], labels: { job: a, app_kubernetes_io_name: 'fastapiapp' } })),
    });
    overrides.prometheusUrl = prom.url;
  });
  const t = operatorSuite(namespacePrefix, overrides);
  afterAll(async () => {
    await prom?.stop();
    await Promise.all(apps.map((a) => series[a].stop()));
  });
  return { t, series, prom: () => prom! };
}

/** Sets the tag and finishes its pre-deploy migration Job (whose summary may report contract migrations pending). */
export async function release(t: OperatorSuite, app: App, tag: string, pendingPost: string[] = [], spec: Record<string, unknown> = {}): Promise<void> {
  const patched = await t.world.patchSpec(app.metadata.name, { tag, ...spec });
  const job = await eventually(async () => (await t.world.jobsOf(app)).filter((j) => j.metadata.annotations?.[PHASE_ANNOTATION] !== 'post'
    && j.metadata.annotations?.['fastapiapp.io/image'] === ref(tag)
    && j.metadata.annotations?.['fastapiapp.io/generation'] === String(patched.metadata.generation)).pop(), `migration Job for ${tag}`);
  const summary = { command: 'pre', result: 'applied', applied: [], head: '005_c5', pendingPost };
  await t.world.jobPod(job, 'Succeeded', { state: { terminated: { exitCode: 0, reason: 'Completed', message: JSON.stringify(summary) } } });
  await t.world.finishJob(job.metadata.name, 'succeeded');
}

/** Migration Jobs of the post-deploy (contract) phase. */
export const postJobs = async (t: OperatorSuite, app: App) => (await t.world.jobsOf(app)).filter((j) => j.metadata.annotations?.[PHASE_ANNOTATION] === 'post');

/** The FastApiApp's scale subresource, as an HPA targeting it reads it (autoscaling/v1 Scale). */
export async function scaleOf(t: OperatorSuite, name: string): Promise<{ spec: { replicas: number }; status: { replicas: number; selector: string } }> {
  return t.world.client.transport.request({ verb: 'get', resource: FASTAPIAPPS.plural, method: 'GET', path: resourcePath(FASTAPIAPPS, t.ns, name, 'scale') });
}

/** Sets spec.replicas through the scale subresource, as an HPA (or kubectl scale) does. */
export async function scaleTo(t: OperatorSuite, name: string, replicas: number): Promise<void> {
  await t.world.mergePatch(FASTAPIAPPS, name, { spec: { replicas } }, 'scale');
}

/** Whether a selector string (k=v,...) selects the pods of a Deployment's template. */
export const selectsPods = (selector: string, d: Loose | undefined): boolean =>
  selector.split(',').every((kv) => { const [k, v] = kv.split('='); return d?.spec?.template?.metadata?.labels?.[k!] === v; });
