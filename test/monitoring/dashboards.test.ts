// Static checks of the Grafana provisioning and dashboards (the live test evaluates their queries).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROVISIONING_DIR } from './support/paths';
import { allPanels, dashboardQueries, loadDashboards, variableQuery, type Dashboard } from './support/sources';
import { buildPrometheusRule, type RecordingRule } from '../../operator/src/desired';
import { fastApiApp } from '../api/fixtures';
import { metricNames, substitute, UnknownVariableError, watchedSeries, withoutThresholds } from './support/promql';

const dashboards = loadDashboards();

describe('grafana provisioning', () => {
  it('when the datasource is provisioned, then it is Prometheus at http://prometheus:9090 with a fixed uid', () => {
    const doc = parse(fs.readFileSync(path.join(PROVISIONING_DIR, 'datasources', 'prometheus.yml'), 'utf8'));
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toHaveLength(1);
    expect(doc.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', access: 'proxy' });
    expect(doc.datasources[0].uid).toMatch(/^[a-z0-9-]+$/);
  });

  it('when the dashboard provider is provisioned, then it loads files from /var/lib/grafana/dashboards', () => {
    const doc = parse(fs.readFileSync(path.join(PROVISIONING_DIR, 'dashboards', 'fastapiapp.yml'), 'utf8'));
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

describe.each(dashboards.map((d) => [d.file, d.dashboard] as const))('dashboard %s', (_file, d) => {
  const vars = d.templating.list;
  const queries = dashboardQueries(d);

  it('has a stable uid, a title and panels with queries', () => {
    expect(d.uid).toMatch(/^fastapiapp-[a-z-]+$/);
    expect(d.title).toMatch(/^FastApiApp \/ /);
    expect(queries.length).toBeGreaterThan(8);
  });

  it('picks its datasource through the ${datasource} variable, never a fixed uid', () => {
    expect(vars.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of allPanels(d).filter((x) => x.type !== 'row')) {
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: '${datasource}' });
      for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe('${datasource}');
    }
    for (const v of vars.filter((x) => x.type === 'query')) expect(v.datasource?.uid).toBe('${datasource}');
  });

  it('has namespace, job and instance variables that allow "All"', () => {
    for (const name of ['namespace', 'job', 'instance']) {
      const v = vars.find((x) => x.name === name);
      expect(v).toMatchObject({ type: 'query', includeAll: true, allValue: '.*' });
      expect(variableQuery(v!)).toMatch(/^label_values\(/);
    }
  });

  it('filters every query by namespace and job and hard-codes no job, namespace or instance', () => {
    for (const q of queries) {
      expect({ q: q.expr, ns: q.expr.includes('namespace=~"$namespace"') }).toEqual({ q: q.expr, ns: true });
      expect({ q: q.expr, job: q.expr.includes('job=~"$job"') }).toEqual({ q: q.expr, job: true });
      expect(q.expr).not.toMatch(/\b(job|namespace|instance)\s*=~?\s*"[^$]/);
    }
  });

  it('uses only variables it defines (or Grafana built-ins)', () => {
    const values = Object.fromEntries(vars.map((v) => [v.name, '.*']));
    for (const q of queries) expect(() => substitute(q.expr, { vars: values, window: '1m' })).not.toThrow();
  });

  it('lays panels out on the 24-column grid with unique ids', () => {
    const panels = allPanels(d);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
  });
});

describe('promql helpers', () => {
  it('when an expression is substituted, then variables and intervals are replaced and unknown ones throw', () => {
    expect(substitute('rate(x{a=~"$ns", b="${job}"}[$__rate_interval])', { vars: { ns: 'n', job: 'j' }, window: '1m' }))
      .toBe('rate(x{a=~"n", b="j"}[1m])');
    expect(() => substitute('x{a="$nope"}', { vars: {}, window: '1m' })).toThrow(UnknownVariableError);
  });

  it('when metric names are extracted, then functions, labels, grouping, durations and strings are skipped', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{job=~"a|b"}[5m] offset 1m)))'))
      .toEqual(['http_request_duration_seconds_bucket']);
    expect(metricNames('(a:b:rate5m or c_total * 0) / on (x) group_left (y) (d > 0) and e unless sum without (le) (f)'))
      .toEqual(['a:b:rate5m', 'c_total', 'd', 'e', 'f']);
    expect(metricNames('sum(x) by (instance) - 1e3')).toEqual(['x']);
  });

  it('when thresholds are removed from an alert expression, then the watched series remain', () => {
    expect(withoutThresholds('a > 0.05 and on (ns) b > 0.1')).toBe('a and on (ns) b');
    expect(withoutThresholds('up{job="x"} == 0')).toBe('up{job="x"}');
    expect(watchedSeries('absent(up{job="x"})')).toBe('up{job="x"}');
    expect(watchedSeries('count by (job) (max_over_time(up{a="b"}[1h]))\nunless on (job) (up{a="b"} == 1)')).toBe('count by (job) (max_over_time(up{a="b"}[1h]))');
    expect(watchedSeries('increase(x[5m]) > 0 or (x > 0 unless x offset 5m) * 1')).toBe('increase(x[5m]) or (x unless x offset 5m) * 1');
    expect(withoutThresholds('increase(m{r="failed"}[15m]) > 0')).toBe('increase(m{r="failed"}[15m])');
  });
});

describe('service dashboard: SLO row and deploy annotations', () => {
  const d = dashboards.find((x) => x.dashboard.uid === 'fastapiapp-service')!.dashboard as Dashboard & {
    annotations: { list: { name: string; expr?: string; useValueForTime?: boolean; titleFormat?: string }[] };
  };
  const generated = buildPrometheusRule(fastApiApp({ slo: { availability: { objective: '99.9' }, latency: { threshold: '0.5', objective: '99' } } }))
    .spec.groups.flatMap((g) => g.rules).filter((r): r is RecordingRule => 'record' in r).map((r) => r.record);

  it('when read, then an SLO row shows budget, burn rates and per-version SLIs from the operator\'s recording rules only', () => {
    const row = d.panels.find((p) => p.type === 'row' && /SLO/.test(p.title))!;
    expect(row).toBeDefined();
    const below = d.panels.filter((p) => p.gridPos.y > row.gridPos.y);
    expect(below.map((p) => p.title)).toEqual(expect.arrayContaining(['Error budget remaining ($slo_window)', 'Burn rate (1h and 6h)', '5xx ratio per version', 'Latency p99 per version']));
    const recorded = below.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr ?? '')));
    expect(recorded.length).toBeGreaterThan(5);
    for (const name of recorded) expect(generated).toContain(name);
    expect(d.templating.list.find((v) => v.name === 'slo_window')).toMatchObject({ type: 'custom' });
  });

  it('when read, then deploys are annotated at the first start of each version (series value as time), filtered by namespace and job', () => {
    const deploys = d.annotations.list.find((a) => a.name === 'Deploys')!;
    expect(deploys).toMatchObject({ useValueForTime: true, titleFormat: 'Deploy {{app_kubernetes_io_version}}' });
    expect(deploys.expr).toContain('namespace=~"$namespace", job=~"$job"');
    expect(deploys.expr).toMatch(/^min by \(namespace, job, app_kubernetes_io_version\) \(process_start_time_seconds\{/);
  });

  it('when read, then aborted and halted canaries are annotated from the operator\'s fastapiapp_rollout_phase, filtered by namespace and job', () => {
    const aborts = d.annotations.list.find((a) => a.name === 'Canary aborts')!;
    expect(aborts.expr).toContain('fastapiapp_rollout_phase{phase=~"Aborted|Halted", app_namespace=~"$namespace", app_name=~"$job"}');
  });
});
