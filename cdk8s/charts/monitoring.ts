// Monitoring for clusters running the Prometheus operator and Grafana's dashboard sidecar:
// one PrometheusRule per rule file (MonitoringChart, in the operator's namespace) and one ConfigMap
// per dashboard (GrafanaDashboardsChart, without a namespace: `kubectl apply -n <Grafana's namespace>`,
// since kube-prometheus-stack's sidecar watches only its own namespace by default), read from
// monitoring/ at synth time so the compose stack and the cluster share a single source.
import fs from 'node:fs';
import path from 'node:path';
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { parse } from 'yaml';

export const MONITORING_NAMESPACE = 'fastapiapp-system';
/**
 * Labels the committed PrometheusRules and the operator's ServiceMonitor carry: what a
 * kube-prometheus-stack release installed as `kube-prometheus-stack` selects them by (its
 * ruleSelector / serviceMonitorSelector match `release: <helm release name>`). Another release name:
 * relabel the files on apply (README, "Monitoring on Kubernetes").
 */
export const RELEASE_LABELS: Readonly<Record<string, string>> = { release: 'kube-prometheus-stack' };
/** Repository's monitoring/ directory (this file lives in cdk8s/charts/). */
export const DEFAULT_MONITORING_DIR = path.resolve(__dirname, '..', '..', 'monitoring');

export interface RuleGroup {
  name: string;
  rules: Record<string, unknown>[];
}

export interface RuleFile {
  /** File name without extension, e.g. `app` for rules/app.yml. */
  name: string;
  groups: RuleGroup[];
}

export interface DashboardFile {
  /** File name without extension, e.g. `fastapiapp-service`. */
  name: string;
  fileName: string;
  /** The dashboard JSON, verbatim. */
  json: string;
}

export class MonitoringSourceError extends Error {
  override name = 'MonitoringSourceError';
}

const list = (dir: string, ext: RegExp): string[] =>
  fs.readdirSync(dir).filter((f) => ext.test(f)).sort();

/** Reads monitoring/prometheus/rules/*.yml. */
export function loadRuleFiles(monitoringDir = DEFAULT_MONITORING_DIR): RuleFile[] {
  const dir = path.join(monitoringDir, 'prometheus', 'rules');
  return list(dir, /\.ya?ml$/).map((file) => {
    const doc = parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { groups?: RuleGroup[] } | null;
    if (!doc || !Array.isArray(doc.groups) || doc.groups.length === 0) {
      throw new MonitoringSourceError(`${path.join(dir, file)}: no rule groups`);
    }
    return { name: file.replace(/\.ya?ml$/, ''), groups: doc.groups };
  });
}

/** Reads monitoring/grafana/dashboards/*.json (validated as JSON, kept byte for byte). */
export function loadDashboards(monitoringDir = DEFAULT_MONITORING_DIR): DashboardFile[] {
  const dir = path.join(monitoringDir, 'grafana', 'dashboards');
  return list(dir, /\.json$/).map((fileName) => {
    const json = fs.readFileSync(path.join(dir, fileName), 'utf8');
    try {
      JSON.parse(json);
    } catch (err) {
      throw new MonitoringSourceError(`${path.join(dir, fileName)}: invalid JSON (${(err as Error).message})`);
    }
    return { name: fileName.replace(/\.json$/, ''), fileName, json };
  });
}

const partOf = { 'app.kubernetes.io/part-of': 'fastapiapp', 'app.kubernetes.io/component': 'monitoring' };

export function prometheusRule(file: RuleFile, namespace: string, labels: Record<string, string>) {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: `fastapiapp-${file.name}`, namespace, labels: { ...partOf, ...labels } },
    spec: { groups: file.groups },
  };
}

export function dashboardConfigMap(dashboard: DashboardFile, folder: string, namespace?: string) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `grafana-dashboard-${dashboard.name}`,
      ...(namespace ? { namespace } : {}),
      // The sidecar picks up ConfigMaps carrying this label; the annotation names the folder
      // (kube-prometheus-stack: sidecar.dashboards.folderAnnotation=grafana_folder).
      labels: { ...partOf, grafana_dashboard: '1' },
      annotations: { grafana_folder: folder },
    },
    data: { [dashboard.fileName]: dashboard.json },
  };
}

export interface MonitoringChartProps extends ChartProps {
  /** Where the rules are read from. Default: the repository's monitoring/. */
  readonly monitoringDir?: string;
  /** Extra labels on the PrometheusRules, to match a Prometheus `ruleSelector` (e.g. `release`). Default: none. */
  readonly ruleLabels?: Record<string, string>;
}

/** The PrometheusRules, in the operator's namespace. */
export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: MonitoringChartProps = {}) {
    const { monitoringDir, ruleLabels = {}, ...chartProps } = props;
    super(scope, id, { namespace: MONITORING_NAMESPACE, ...chartProps });
    const namespace = this.namespace ?? MONITORING_NAMESPACE;
    for (const file of loadRuleFiles(monitoringDir)) {
      new ApiObject(this, `rule-${file.name}`, prometheusRule(file, namespace, ruleLabels));
    }
  }
}

export interface GrafanaDashboardsChartProps extends ChartProps {
  /** Where the dashboards are read from. Default: the repository's monitoring/. */
  readonly monitoringDir?: string;
  /** Grafana folder for the dashboards. Default: FastApiApp. */
  readonly dashboardFolder?: string;
}

/** One ConfigMap per dashboard; no namespace unless the chart sets one (apply into Grafana's). */
export class GrafanaDashboardsChart extends Chart {
  constructor(scope: Construct, id: string, props: GrafanaDashboardsChartProps = {}) {
    const { monitoringDir, dashboardFolder = 'FastApiApp', ...chartProps } = props;
    super(scope, id, chartProps);
    for (const dashboard of loadDashboards(monitoringDir)) {
      new ApiObject(this, `dashboard-${dashboard.name}`, dashboardConfigMap(dashboard, dashboardFolder, this.namespace));
    }
  }
}
