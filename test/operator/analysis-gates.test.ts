// The release analysis gates without I/O (test/monitoring/analysis.test.ts runs them against a real Prometheus).
import { evaluate, versionQueries, type GateSpec } from '../../operator/src/analysis/gates';
import { fastApiApp } from '../api/fixtures';

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
