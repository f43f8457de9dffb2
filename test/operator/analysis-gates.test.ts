// The release analysis gates without I/O (test/monitoring/analysis.test.ts runs them against a real Prometheus).
import { evaluate, versionQueries, type GateSpec } from '../../operator/src/analysis/gates';
import { fastApiApp } from '../api/fixtures';
import { judgeMetric, QueryTemplateError, renderQuery } from '../../operator/src/analysis/custom-metrics';
import { gateOf, record } from '../../operator/src/delivery/measure';
import { strategyDefaults } from '../../operator/src/desired/defaults';

const GATE: GateSpec = { window: '1m', minRequests: 50, maxErrorRatio: 0.05, maxErrorRatioIncrease: 0.01, maxP99Seconds: 0.5, maxP99Factor: 2 };
const good = { requests: 100, errorRatio: 0.001, p99: 0.1 };

describe('analysis gates', () => {
  it('when the version is within every limit, then it passes', () => {
    expect(evaluate(GATE, good, { requests: 1000, errorRatio: 0.001, p99: 0.09 }).verdict).toBe('pass');
  });

  it('when one limit is exceeded, then it fails naming the check, absolute or relative to stable', () => {
    const stable = { requests: 1000, errorRatio: 0.001, p99: 0.1 };
    const failing = (m: typeof good) => evaluate(GATE, m, stable).checks.filter((c) => c.verdict === 'fail').map((c) => c.name);
    expect(failing({ ...good, errorRatio: 0.2 })).toEqual(['errorRatio', 'errorRatioIncrease']);
    expect(failing({ ...good, errorRatio: 0.02 })).toEqual(['errorRatioIncrease']);
    expect(failing({ ...good, p99: 0.3 })).toEqual(['p99Factor']);
    expect(failing({ ...good, p99: 0.8 })).toEqual(['p99', 'p99Factor']);
  });

  it('when there is too little traffic, then it is inconclusive and no other check is made', () => {
    const r = evaluate(GATE, { requests: 49, errorRatio: 1, p99: 10 });
    expect(r).toEqual({ verdict: 'inconclusive', checks: [{ name: 'minRequests', verdict: 'inconclusive', value: 49, limit: 50 }] });
  });

  it('when stable has too little traffic or no p99, then the relative checks are inconclusive, but absolute failures still fail', () => {
    const r = evaluate(GATE, good, { requests: 3, errorRatio: 0, p99: 0.1 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.checks.filter((c) => c.verdict === 'inconclusive').map((c) => c.name)).toEqual(['errorRatioIncrease', 'p99Factor']);
    expect(evaluate(GATE, { ...good, errorRatio: 0.5 }).verdict).toBe('fail');
  });

  it('when queries are built, then they select the app\'s version by its series labels', () => {
    const q = versionQueries(fastApiApp({}, 'items', 'shop'), '1.2.0', '1m');
    for (const expr of Object.values(q)) expect(expr).toContain('namespace="shop", job="items", app_kubernetes_io_version="1.2.0"');
    expect(q.requests).toBe('sum(increase(http_requests_total{app_kubernetes_io_name="fastapiapp", namespace="shop", job="items", app_kubernetes_io_version="1.2.0"}[1m]))');
  });
});

describe('analysis queries by release track', () => {
  it('when a track is given, then the queries also match it (empty: the pods without one), so one tag on two tracks is told apart', () => {
    const app = fastApiApp({}, 'items', 'shop');
    expect(versionQueries(app, '1.0.0', '1m', 'canary').requests).toContain('app_kubernetes_io_version="1.0.0", fastapiapp_io_track="canary"');
    expect(versionQueries(app, '1.0.0', '1m', '').errorRatio).toContain('fastapiapp_io_track=""');
    expect(versionQueries(app, '1.0.0', '1m').p99).not.toContain('fastapiapp_io_track');
  });
});

describe('custom analysis metrics', () => {
  const vars = { namespace: 'shop', app: 'items', version: '1.2.0', track: 'canary', window: '60s' };
  const metric = { name: 'db-errors', query: 'x', max: 0.1 };

  it('when a query is rendered, then every placeholder, with or without spaces, is filled in; an unknown one is an error', () => {
    expect(renderQuery('rate(x{namespace="{{namespace}}", job="{{ app }}", v="{{version}}", t="{{track }}"}[{{ window}}])', vars))
      .toBe('rate(x{namespace="shop", job="items", v="1.2.0", t="canary"}[60s])');
    expect(() => renderQuery('x{job="{{target}}"}', vars)).toThrow(QueryTemplateError);
  });

  it('when a value is judged, then inside [min, max] passes, outside fails, and no value or NaN is inconclusive with the reason', () => {
    expect(judgeMetric(metric, 0.1).verdict).toBe('pass');
    expect(judgeMetric(metric, 0.2)).toMatchObject({ verdict: 'fail', value: 0.2, limit: 0.1, custom: true });
    expect(judgeMetric({ ...metric, min: 5, max: undefined }, 4).verdict).toBe('fail');
    expect(judgeMetric({ ...metric, min: -1 }, -0.5).verdict).toBe('pass');
    expect(judgeMetric(metric, undefined)).toMatchObject({ verdict: 'inconclusive', note: 'no data' });
    expect(judgeMetric(metric, undefined, 'Prometheus rejected the query')).toMatchObject({ verdict: 'inconclusive', note: 'Prometheus rejected the query' });
    expect(judgeMetric(metric, Number.NaN)).toMatchObject({ verdict: 'inconclusive', note: 'not a number (NaN)' });
  });

  it('when custom checks join the built-in ones, then a failing one fails the measurement, an unanswered one makes a passing one inconclusive', () => {
    const stable = { requests: 1000, errorRatio: 0.001, p99: 0.09 };
    expect(evaluate(GATE, good, stable, [judgeMetric(metric, 0.05)]).verdict).toBe('pass');
    expect(evaluate(GATE, good, stable, [judgeMetric(metric, 0.5)]).verdict).toBe('fail');
    expect(evaluate(GATE, good, stable, [judgeMetric(metric, undefined)]).verdict).toBe('inconclusive');
    // too little traffic stays inconclusive however the custom checks went, unless one fails
    expect(evaluate(GATE, { requests: 3 }, stable, [judgeMetric(metric, 0.05)]).verdict).toBe('inconclusive');
    expect(evaluate(GATE, { requests: 3 }, stable, [judgeMetric(metric, 0.5)]).verdict).toBe('fail');
  });

  it('when a measurement is recorded, then status keeps every check with its value and the message names the custom ones with their range', () => {
    const stable = { requests: 1000, errorRatio: 0.001, p99: 0.09 };
    const a = evaluate(GATE, good, stable, [judgeMetric(metric, 0.5), judgeMetric({ name: 'rows', query: 'y', min: 1, max: 9 }, undefined, 'no data')]);
    const r = record('canary', a, good, new Date('2026-12-08T00:00:00Z'));
    expect(r.verdict).toBe('fail');
    expect(r.checks).toEqual(expect.arrayContaining([
      { name: 'errorRatio', verdict: 'pass', value: '0.001' }, { name: 'db-errors', verdict: 'fail', value: '0.5' }, { name: 'rows', verdict: 'inconclusive' },
    ]));
    expect(r.message).toContain('db-errors 0.5 not <= 0.1 (fail)');
    expect(r.message).toContain('rows n/a in [1, 9] (inconclusive: no data)');
    expect(gateOf(strategyDefaults({ type: 'Canary', canary: { analysis: { metrics: [{ name: 'a', query: 'q', thresholdRange: { min: '0.5' } }] } } })).metrics)
      .toEqual([{ name: 'a', query: 'q', min: 0.5 }]);
  });
});
