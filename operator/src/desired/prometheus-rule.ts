// prometheus-operator PrometheusRule of an app's spec.slo: recording rules per window (per version
// and for the whole app) and the SRE workbook's multi-window, multi-burn-rate alerts
// (https://sre.google/workbook/alerting-on-slos/, "Multiwindow, Multi-Burn-Rate Alerts").
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { DEFAULT_SLO_WINDOW } from '../api/defaults';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { childLabels } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';
import { APP_GROUPING, VERSION_GROUPING, appMatchers, errorRate, latencyMissRate, latencyQuantile, ratio, requestRate } from './sli';

export const PROMETHEUS_RULE_API_VERSION = 'monitoring.coreos.com/v1';
export const PROMETHEUS_RULE_KIND = 'PrometheusRule';

/**
 * Where the runbooks live when the operator is not told (RUNBOOK_BASE_URL): the path in this
 * repository, relative, since the repository's address is known only where it is deployed.
 */
export const DEFAULT_RUNBOOK_BASE = 'docs/operations/runbooks';

export interface RecordingRule { record: string; expr: string; labels?: Record<string, string> }
export interface AlertingRule { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }
export interface RuleGroup { name: string; rules: Array<RecordingRule | AlertingRule> }

export interface PrometheusRule {
  apiVersion: typeof PROMETHEUS_RULE_API_VERSION;
  kind: typeof PROMETHEUS_RULE_KIND;
  metadata: V1ObjectMeta;
  spec: { groups: RuleGroup[] };
}

/** Alert pairs: the long window measures the burn, the short one makes the alert stop soon after it does. */
export interface BurnWindow {
  long: string;
  short: string;
  /** share of the whole window's error budget spent in `long` at this burn rate, in percent */
  budgetPercent: number;
  /** hours in `long` */
  longHours: number;
  severity: 'critical' | 'warning';
}

/** The workbook's four alerts: page on 2% of a 30-day budget in 1h or 5% in 6h, ticket on 10% in 1d or in 3d. */
export const BURN_WINDOWS: readonly BurnWindow[] = [
  { long: '1h', short: '5m', budgetPercent: 2, longHours: 1, severity: 'critical' },
  { long: '6h', short: '30m', budgetPercent: 5, longHours: 6, severity: 'critical' },
  { long: '1d', short: '2h', budgetPercent: 10, longHours: 24, severity: 'warning' },
  { long: '3d', short: '6h', budgetPercent: 10, longHours: 72, severity: 'warning' },
];

/** Every window a ratio is recorded for: the alerts' long and short windows. */
export const SLO_WINDOWS: readonly string[] = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'];

/** Stable recording rule names (level:metric:operations); the canary gates read the per-version ones. */
export const RECORD = {
  versionRequests: (w: string) => `app_version:http_requests:rate${w}`,
  versionErrors: (w: string) => `app_version:http_request_errors:rate${w}`,
  versionErrorRatio: (w: string) => `app_version:http_request_errors:ratio_rate${w}`,
  versionLatencyMisses: (w: string) => `app_version:http_request_latency_misses:rate${w}`,
  versionP99: (w: string) => `app_version:http_request_duration_seconds:p99_rate${w}`,
  appErrorRatio: (w: string) => `app:http_request_errors:ratio_rate${w}`,
  appLatencyMissRatio: (w: string) => `app:http_request_latency_misses:ratio_rate${w}`,
  /** the objective as a ratio, labelled namespace, job and slo (availability or latency): for dashboards */
  objective: 'app:slo_objective:ratio',
} as const;

export const ERROR_BUDGET_ALERT = 'FastApiAppErrorBudgetBurn';
export const LATENCY_BUDGET_ALERT = 'FastApiAppLatencyBudgetBurn';

/** Burn rate of `w` for an SLO window of `days`: the same budget share as the workbook's 30-day rates. */
export function burnRate(w: BurnWindow, days: number): number {
  return Number(((w.budgetPercent * days * 24) / (100 * w.longHours)).toFixed(4));
}

/** Whether the app should have a PrometheusRule: an SLO is set and its series are scraped. */
export function wantsPrometheusRule(app: FastApiApp): boolean {
  const spec = withDefaults(app.spec);
  return spec.slo !== undefined && spec.monitoring.enabled;
}

export function buildPrometheusRule(app: FastApiApp, runbookBase: string = DEFAULT_RUNBOOK_BASE): PrometheusRule {
  const spec = withDefaults(app.spec);
  if (!spec.slo) throw new Error(`FastApiApp ${app.metadata.namespace}/${app.metadata.name} has no spec.slo`);
  const slo = { ...spec.slo, window: spec.slo.window ?? DEFAULT_SLO_WINDOW };
  const m = appMatchers(app);
  const own = `{namespace=${JSON.stringify(app.metadata.namespace)}, job=${JSON.stringify(app.metadata.name)}}`;
  const sumApp = (record: string): string => `sum by (${APP_GROUPING.join(', ')}) (${record}${own})`;

  const recording: RecordingRule[] = [];
  for (const w of SLO_WINDOWS) {
    recording.push(
      { record: RECORD.versionRequests(w), expr: requestRate(m, w, VERSION_GROUPING) },
      { record: RECORD.versionErrors(w), expr: errorRate(m, w, VERSION_GROUPING) },
      { record: RECORD.versionErrorRatio(w), expr: ratio(`${RECORD.versionErrors(w)}${own}`, `${RECORD.versionRequests(w)}${own}`) },
    );
    if (w === '5m') recording.push({ record: RECORD.versionP99(w), expr: latencyQuantile(0.99, m, w, VERSION_GROUPING) });
    if (slo.latency) recording.push({ record: RECORD.versionLatencyMisses(w), expr: latencyMissRate(m, slo.latency.threshold, w, VERSION_GROUPING) });
    if (slo.availability) recording.push({ record: RECORD.appErrorRatio(w), expr: ratio(sumApp(RECORD.versionErrors(w)), sumApp(RECORD.versionRequests(w))) });
    if (slo.latency) recording.push({ record: RECORD.appLatencyMissRatio(w), expr: ratio(sumApp(RECORD.versionLatencyMisses(w)), sumApp(RECORD.versionRequests(w))) });
  }

  // The objectives as series, so dashboards can show budgets and burn rates without knowing the spec.
  const objectiveRecord = (kind: string, objective: string): RecordingRule => ({
    record: RECORD.objective, expr: `vector(${objective} / 100)`,
    labels: { namespace: app.metadata.namespace, job: app.metadata.name, slo: kind },
  });
  if (slo.availability) recording.push(objectiveRecord('availability', slo.availability.objective));
  if (slo.latency) recording.push(objectiveRecord('latency', slo.latency.objective));

  const days = Number(slo.window.replace(/d$/, ''));
  const alerts: AlertingRule[] = [];
  const target = `${app.metadata.namespace}/${app.metadata.name}`;
  const objectives = [
    slo.availability && { alert: ERROR_BUDGET_ALERT, kind: 'availability', objective: slo.availability.objective, record: RECORD.appErrorRatio, what: 'answered with a 5xx' },
    slo.latency && { alert: LATENCY_BUDGET_ALERT, kind: 'latency', objective: slo.latency.objective, record: RECORD.appLatencyMissRatio, what: `slower than ${slo.latency.threshold}s` },
  ].filter((o) => !!o);
  for (const o of objectives) {
    for (const bw of BURN_WINDOWS) {
      const rate = burnRate(bw, days);
      // (100 - objective) / 100 is the budget; Prometheus does the arithmetic, so no float is printed here.
      const threshold = `${rate} * (100 - ${o.objective}) / 100`;
      alerts.push({
        alert: o.alert,
        expr: `${o.record(bw.long)}${own} > ${threshold} and on (${APP_GROUPING.join(', ')}) ${o.record(bw.short)}${own} > ${threshold}`,
        labels: { severity: bw.severity, slo: o.kind, long_window: bw.long, short_window: bw.short },
        annotations: {
          // No $value templates: the text is fixed per rule, so rule unit tests can compare it.
          summary: `FastApiApp ${target} is burning its ${o.kind} error budget ${rate}x too fast (${bw.long} and ${bw.short})`,
          description: `More than ${Number((rate * (100 - Number(o.objective))).toFixed(6))}% of ${target}'s requests in the last ` +
            `${bw.long} and in the last ${bw.short} were ${o.what} (objective ${o.objective}% over ${slo.window}): at this rate ` +
            `${bw.budgetPercent}% of the ${slo.window} error budget is spent every ${bw.long}${bw.severity === 'critical' ? ' (page)' : ' (ticket)'}.`,
          runbook_url: `${runbookBase}/${o.alert}.md`,
        },
      });
    }
  }

  return {
    apiVersion: PROMETHEUS_RULE_API_VERSION,
    kind: PROMETHEUS_RULE_KIND,
    // like the ServiceMonitor: spec.monitoring.labels (e.g. a Prometheus ruleSelector's release label) under ours
    metadata: childMetadata(app, childName(app), { ...spec.monitoring.labels, ...childLabels(app) }),
    spec: {
      groups: [
        { name: 'fastapiapp-slo.recording', rules: recording },
        { name: 'fastapiapp-slo.alerts', rules: alerts },
      ],
    },
  };
}
