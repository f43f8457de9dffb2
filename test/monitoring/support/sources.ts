// Reads the dashboards and rule files, and lists every PromQL expression they hold.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DASHBOARDS_DIR, RULES_DIR } from './paths';

/**
 * The label every app series carries and the app rules select on: the operator's ServiceMonitor
 * copies the Service's app.kubernetes.io/name (targetLabels), which Prometheus names with _ for . and /.
 */
export const APP_SELECTOR_LABEL = 'app_kubernetes_io_name';

export interface GrafanaTarget {
  expr?: string;
  refId?: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: GrafanaTarget[];
  gridPos: { x: number; y: number; w: number; h: number };
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  type: string;
  name: string;
  query?: string | { query: string };
  definition?: string;
  datasource?: { type?: string; uid?: string };
  includeAll?: boolean;
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

export function loadDashboards(): DashboardFile[] {
  return fs
    .readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard }));
}

/** Panels including those nested in collapsed rows. */
export function allPanels(d: Dashboard): GrafanaPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

export function dashboardQueries(d: Dashboard): PanelQuery[] {
  return allPanels(d).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => t.expr)
      .map((t) => ({ dashboard: d.uid, panel: p.title, refId: t.refId ?? '?', expr: t.expr as string })),
  );
}

export function variableQuery(v: GrafanaVariable): string | undefined {
  if (v.type !== 'query') return undefined;
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition);
}

export interface Rule {
  file: string;
  group: string;
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRules(): Rule[] {
  return fs
    .readdirSync(RULES_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => {
      const doc = parse(fs.readFileSync(path.join(RULES_DIR, file), 'utf8')) as { groups: { name: string; rules: Omit<Rule, 'file' | 'group'>[] }[] };
      return doc.groups.flatMap((g) => g.rules.map((r) => ({ file, group: g.name, ...r, expr: String(r.expr) })));
    });
}
