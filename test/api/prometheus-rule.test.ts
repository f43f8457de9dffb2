// The PrometheusRule builder of spec.slo, without I/O (promtool runs the rules in
// test/monitoring/slo-rules.test.ts).
import { LATENCY_BUCKETS } from '../../operator/src/api/defaults';
import {
  BURN_WINDOWS, ERROR_BUDGET_ALERT, LATENCY_BUDGET_ALERT, RECORD, SLO_WINDOWS, buildPrometheusRule, burnRate, leMatcher,
  ownerReference, wantsPrometheusRule, type AlertingRule, type RecordingRule,
} from '../../operator/src/desired';
import { HTTP_DURATION_BUCKETS } from '../../app/src/observability/metrics';
import { deepFreeze, fastApiApp } from './fixtures';

const rulesOf = (app: ReturnType<typeof fastApiApp>, base?: string) => buildPrometheusRule(app, base).spec.groups.flatMap((g) => g.rules);
const alerts = (rules: ReturnType<typeof rulesOf>) => rules.filter((r): r is AlertingRule => 'alert' in r);
const records = (rules: ReturnType<typeof rulesOf>) => rules.filter((r): r is RecordingRule => 'record' in r);

describe('PrometheusRule builder', () => {
  it('when an app has no slo or monitoring is off, then it wants no PrometheusRule', () => {
    expect(wantsPrometheusRule(fastApiApp())).toBe(false);
    expect(wantsPrometheusRule(fastApiApp({ slo: { availability: { objective: '99.9' } } }))).toBe(true);
    expect(wantsPrometheusRule(fastApiApp({ slo: { availability: { objective: '99.9' } }, monitoring: { enabled: false } }))).toBe(false);
    expect(() => buildPrometheusRule(fastApiApp())).toThrow(/no spec.slo/);
  });

  it('when built, then it is owned by the app, named like it, labelled for the operator\'s watch and carries spec.monitoring.labels', () => {
    const app = deepFreeze(fastApiApp({ slo: { availability: { objective: '99.9' } }, monitoring: { labels: { release: 'kps' } } }));
    const rule = buildPrometheusRule(app);
    expect(rule).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
    expect(rule.metadata).toMatchObject({ name: 'items', namespace: 'shop', ownerReferences: [ownerReference(app)] });
    expect(rule.metadata.labels).toMatchObject({ release: 'kps', 'app.kubernetes.io/managed-by': 'fastapiapp-operator', 'app.kubernetes.io/instance': 'items' });
    // no version label: a new tag does not rewrite the rule
    expect(rule.metadata.labels).not.toHaveProperty('app.kubernetes.io/version');
    expect(buildPrometheusRule(app)).toEqual(rule);
  });

  it('when only availability is set, then there are four error-budget alerts and no latency rules', () => {
    const rules = rulesOf(fastApiApp({ slo: { availability: { objective: '99.9' } } }));
    expect(alerts(rules).map((a) => [a.alert, a.labels.severity, a.labels.long_window, a.labels.short_window])).toEqual([
      [ERROR_BUDGET_ALERT, 'critical', '1h', '5m'], [ERROR_BUDGET_ALERT, 'critical', '6h', '30m'],
      [ERROR_BUDGET_ALERT, 'warning', '1d', '2h'], [ERROR_BUDGET_ALERT, 'warning', '3d', '6h'],
    ]);
    expect(records(rules).some((r) => r.record.includes('latency'))).toBe(false);
    for (const w of SLO_WINDOWS) expect(records(rules).map((r) => r.record)).toContain(RECORD.appErrorRatio(w));
  });

  it('when both are set, then every alert selects only this app and links its runbook under the given base', () => {
    const app = fastApiApp({ slo: { availability: { objective: '99.9' }, latency: { threshold: '0.25', objective: '99' } } }, 'orders', 'team-a');
    const as = alerts(rulesOf(app, 'https://example.test/runbooks'));
    expect(as.filter((a) => a.alert === LATENCY_BUDGET_ALERT)).toHaveLength(4);
    for (const a of as) {
      expect(a.annotations.runbook_url).toBe(`https://example.test/runbooks/${a.alert}.md`);
      // both windows of the pair select the app (other apps' PrometheusRules record the same names)
      expect(a.expr.match(/\{namespace="team-a", job="orders"\}/g)).toHaveLength(2);
    }
    const latency = records(rulesOf(app)).find((r) => r.record === RECORD.versionLatencyMisses('5m'))!;
    expect(latency.expr).toContain('le="0.25"');
    expect(latency.expr).toContain('namespace="team-a", job="orders"');
  });

  it('when the window is not 30 days, then the burn rates keep the workbook\'s share of the budget', () => {
    expect(BURN_WINDOWS.map((w) => burnRate(w, 30))).toEqual([14.4, 6, 3, 1]);
    expect(BURN_WINDOWS.map((w) => burnRate(w, 28))).toEqual([13.44, 5.6, 2.8, 0.9333]);
    const as = alerts(rulesOf(fastApiApp({ slo: { availability: { objective: '99.5' }, window: '28d' } })));
    expect(as[0]!.expr).toContain('> 13.44 * (100 - 99.5) / 100');
    expect(as[0]!.annotations.description).toContain('More than 6.72% of shop/items\'s requests');
  });

  it('when the threshold is a whole number of seconds, then the bucket matches both "1" and Prometheus 3\'s "1.0"', () => {
    expect(leMatcher('1')).toBe('le=~"1|1\\\\.0"');
    expect(leMatcher('0.5')).toBe('le="0.5"');
  });

  it('when the CRD\'s latency thresholds are read, then they are exactly the app histogram\'s buckets', () => {
    expect(LATENCY_BUCKETS).toEqual(HTTP_DURATION_BUCKETS.map(String));
  });
});
