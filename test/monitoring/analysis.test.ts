// Release analysis against a real Prometheus scraping real apps: three versions of one app
// (job items in shop) — stable, a good release and a release whose database lacks its tables
// (every item request answers 500) — plus a version with almost no traffic. The gates come from
// operator/src/analysis (the Canary strategy uses them: test/operator/canary.test.ts).
import { analyze, type AnalysisResult } from '../../operator/src/analysis/analyze';
import type { GateSpec } from '../../operator/src/analysis/gates';
import { PrometheusClient, PrometheusError } from '../../operator/src/analysis/prometheus';
import { fastApiApp } from '../api/fixtures';
import { waitFor } from '../harness/wait';
import { startAppTarget, type AppTarget } from './support/app-target';
import { startPrometheus, type RunningPrometheus } from './support/prometheus';
import { APP_SELECTOR_LABEL } from './support/sources';

jest.setTimeout(180_000);

const APP = fastApiApp({}, 'items', 'shop');
const GATE: GateSpec = { window: '2m', minRequests: 20, maxErrorRatio: 0.05, maxErrorRatioIncrease: 0.02, maxP99Seconds: 2.5, maxP99Factor: 20 };
const targets: Record<string, AppTarget> = {};
let prom: RunningPrometheus | undefined;
let client: PrometheusClient;

/** `n` requests a user makes that touch the database: creates, reads, a list and a 404. */
async function traffic(url: string, n: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  };
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) await call('POST', '/items', { name: `item ${i}`, price: i });
    else if (i % 4 === 1) await call('GET', '/items?limit=5');
    else if (i % 4 === 2) await call('GET', '/items/1');
    else await call('GET', '/items/987654321');
  }
  return statuses;
}

const sent: Record<string, Record<number, number>> = {};

beforeAll(async () => {
  const [stable, good, bad, quiet] = await Promise.all([startAppTarget(), startAppTarget(), startAppTarget({ migrate: false }), startAppTarget()]);
  Object.assign(targets, { stable, good, bad, quiet });
  const versions: Record<string, AppTarget> = { '1.0.0': stable!, '1.1.0': good!, '1.2.0': bad!, '1.3.0': quiet! };
  prom = await startPrometheus({
    interval: '1s',
    ruleFiles: [],
    // One job per version only because each static target group needs its own job here: the
    // `job` label set on the targets is the app's name, as the operator's ServiceMonitor makes it.
    jobs: Object.entries(versions).map(([version, t]) => ({
      job: `v${version}`, targets: [t.address],
      labels: { job: 'items', namespace: 'shop', [APP_SELECTOR_LABEL]: 'fastapiapp', app_kubernetes_io_version: version },
    })),
  });
  client = new PrometheusClient(prom.url);
  await waitFor('all four targets up', async () => ((await client.query('up{job="items"} == 1')).length === 4 ? true : undefined), 30_000);
  // Counter series are born at their first request, and increase() cannot count what happened before
  // a series' first sample: one request of each kind first, then wait for a scrape of every target.
  await Promise.all(Object.values(versions).map((t) => traffic(t.url, 4)));
  const warmedUp = Date.now() / 1000;
  await waitFor('a scrape of every target after the warm-up', async () => {
    const times = await client.query('timestamp(up{job="items"})');
    return times.length === 4 && times.every((t) => t.value > warmedUp + 0.1) ? true : undefined;
  }, 30_000);
  [sent.stable, sent.good, sent.bad, sent.quiet] = await Promise.all([traffic(stable!.url, 120), traffic(good!.url, 120), traffic(bad!.url, 120), traffic(quiet!.url, 3)]);
});

afterAll(async () => {
  await prom?.stop();
  await Promise.allSettled(Object.values(targets).map((t) => t.stop()));
});

/** Polls until Prometheus has scraped the traffic (the version's counted requests stop growing). */
async function settled(version: string, stable?: string): Promise<AnalysisResult> {
  let last: AnalysisResult | undefined;
  return waitFor(`analysis of ${version} to settle`, async () => {
    const r = await analyze(client, APP, GATE, version, stable);
    // increase() extrapolates by up to half a scrape interval, so the count drifts a little as time passes
    const same = last && r.version.requests > 0 && Math.abs(last.version.requests - r.version.requests) <= Math.max(1, 0.03 * r.version.requests);
    last = r;
    return same ? r : undefined;
  }, 60_000, 1500).catch((err: Error) => {
    throw new Error(`${err.message}; last: ${JSON.stringify(last)}`);
  });
}

describe('release analysis against a real Prometheus', () => {
  it('when the release\'s database lacks its tables, then its 5xx ratio fails the absolute and the relative gate', async () => {
    expect(sent.bad![500]).toBeGreaterThan(50);
    const r = await settled('1.2.0', '1.0.0');
    expect(r.verdict).toBe('fail');
    expect(r.version.requests).toBeGreaterThanOrEqual(GATE.minRequests);
    expect(r.version.errorRatio).toBeGreaterThan(0.5);
    expect(r.stable?.errorRatio).toBe(0);
    expect(r.checks.filter((c) => c.verdict === 'fail').map((c) => c.name).sort()).toEqual(['errorRatio', 'errorRatioIncrease']);
  });

  it('when a good release is compared with stable, then every gate passes', async () => {
    expect(sent.good![500]).toBeUndefined();
    const r = await settled('1.1.0', '1.0.0');
    expect(r.checks.map((c) => [c.name, c.verdict])).toEqual([
      ['minRequests', 'pass'], ['errorRatio', 'pass'], ['p99', 'pass'], ['errorRatioIncrease', 'pass'], ['p99Factor', 'pass'],
    ]);
    expect(r.verdict).toBe('pass');
    // measured, not guessed: Prometheus counted the 120 requests sent (increase() extrapolates a little)
    expect(r.version.requests).toBeGreaterThan(100);
    expect(r.version.requests).toBeLessThanOrEqual(140);
    expect(r.version.p99).toBeGreaterThan(0);
  });

  it('when the p99 limit is below the measured p99, then the p99 gate fails', async () => {
    const ok = await settled('1.1.0');
    const r = await analyze(client, APP, { ...GATE, maxP99Seconds: ok.version.p99! / 2 }, '1.1.0');
    expect(r.checks.find((c) => c.name === 'p99')).toMatchObject({ verdict: 'fail' });
    expect(r.verdict).toBe('fail');
  });

  it('when a version has too little traffic, then the analysis is inconclusive, never a pass', async () => {
    const r = await analyze(client, APP, GATE, '1.3.0', '1.0.0');
    expect(r.version.requests).toBeLessThan(GATE.minRequests);
    expect(r.verdict).toBe('inconclusive');
    expect(r.checks).toEqual([expect.objectContaining({ name: 'minRequests', verdict: 'inconclusive' })]);
  });

  it('when a version has no series at all, then it counts 0 requests and is inconclusive', async () => {
    const r = await analyze(client, APP, GATE, '9.9.9');
    expect(r.version).toEqual({ requests: 0 });
    expect(r.verdict).toBe('inconclusive');
  });

  it('when custom metrics run against the real app series, then a value in range passes, and an error, an empty result or several series are inconclusive, never a pass', async () => {
    await settled('1.1.0', '1.0.0');
    const own = 'namespace="{{namespace}}", job="{{app}}", app_kubernetes_io_version="{{version}}"';
    const metrics = [
      // the good release's share of 2xx/3xx/4xx answers (the 404 is the user's): 1
      { name: 'non-5xx', min: 0.99, query: `sum(rate(http_requests_total{${own}, status_code!~"5.."}[{{window}}])) / sum(rate(http_requests_total{${own}}[{{window}}]))` },
      { name: 'empty', max: 1, query: 'sum(no_such_series{job="{{app}}"})' },
      { name: 'broken', max: 1, query: 'sum(rate(http_requests_total{job="{{app}}"}[{{window}}])' },
      { name: 'several', max: 1e9, query: `sum by (status_code) (increase(http_requests_total{${own}}[{{window}}]))` },
    ];
    const r = await analyze(client, APP, { ...GATE, metrics }, '1.1.0', '1.0.0');
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(byName['non-5xx']).toMatchObject({ verdict: 'pass', value: 1, custom: true });
    expect(byName.empty).toMatchObject({ verdict: 'inconclusive', note: 'no data' });
    expect(byName.broken).toMatchObject({ verdict: 'inconclusive', note: expect.stringContaining('bad_data') });
    expect(byName.several).toMatchObject({ verdict: 'inconclusive', note: expect.stringContaining('expected at most one series') });
    expect(r.verdict).toBe('inconclusive');
    // the bad release fails the same ratio check
    const bad = await analyze(client, APP, { ...GATE, metrics: [metrics[0]!] }, '1.2.0', '1.0.0');
    expect(bad.checks.find((c) => c.name === 'non-5xx')).toMatchObject({ verdict: 'fail' });
  });

  it('when Prometheus rejects a query or is unreachable, then a PrometheusError says which', async () => {
    await expect(client.query('sum(')).rejects.toMatchObject({ name: 'PrometheusError', errorType: 'bad_data' });
    const gone = new PrometheusClient('http://127.0.0.1:1', { timeoutMs: 2000 });
    await expect(gone.query('up')).rejects.toThrow(PrometheusError);
    await expect(gone.query('up')).rejects.toThrow(/unreachable/);
  });
});
