// cdk8s MonitoringChart: PrometheusRules and dashboard ConfigMaps built from monitoring/ at synth time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { GrafanaDashboardsChart, MonitoringChart, MonitoringSourceError } from '../../cdk8s/charts/monitoring';
import { DASHBOARDS_DIR, MONITORING, RULES_DIR } from './support/paths';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: { groups: unknown[] }; data?: Record<string, string> };

function synth(props = {}): K8sObject[] {
  const app = Testing.app();
  return [
    ...Testing.synth(new MonitoringChart(app, 'monitoring', props)),
    ...Testing.synth(new GrafanaDashboardsChart(app, 'dashboards', props)),
  ] as K8sObject[];
}

describe('MonitoringChart and GrafanaDashboardsChart', () => {
  const objects = synth();
  const rules = objects.filter((o) => o.kind === 'PrometheusRule');
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');

  it('when synthesized, then the PrometheusRules are in fastapiapp-system and the dashboards in no namespace (Grafana\'s, on apply)', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const o of rules) expect(o.metadata.namespace).toBe('fastapiapp-system');
    expect(configMaps.length).toBeGreaterThan(0);
    for (const o of configMaps) expect(o.metadata.namespace).toBeUndefined();
    expect(objects).toHaveLength(rules.length + configMaps.length);
  });

  it('when the dashboards chart is given a namespace, then the ConfigMaps carry it', () => {
    const placed = Testing.synth(new GrafanaDashboardsChart(Testing.app(), 'd', { namespace: 'monitoring' })) as K8sObject[];
    expect(placed.map((o) => o.metadata.namespace)).toEqual(configMaps.map(() => 'monitoring'));
  });

  it('when synthesized, then there is one PrometheusRule per rule file carrying its groups unchanged', () => {
    const files = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml')).sort();
    expect(rules.map((r) => r.metadata.name).sort()).toEqual(files.map((f) => `fastapiapp-${f.replace('.yml', '')}`));
    for (const file of files) {
      const rule = rules.find((r) => r.metadata.name === `fastapiapp-${file.replace('.yml', '')}`)!;
      expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(rule.spec?.groups).toEqual(parse(fs.readFileSync(path.join(RULES_DIR, file), 'utf8')).groups);
    }
  });

  it('when synthesized, then each dashboard is a ConfigMap labelled for the Grafana sidecar holding the JSON verbatim', () => {
    const files = fs.readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort();
    expect(configMaps).toHaveLength(files.length);
    for (const file of files) {
      const cm = configMaps.find((c) => c.data && file in c.data)!;
      expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
      expect(cm.data?.[file]).toBe(fs.readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8'));
      expect(Buffer.byteLength(JSON.stringify(cm))).toBeLessThan(256 * 1024); // fits kubectl apply's annotation
    }
  });

  it('when ruleLabels are given, then the PrometheusRules carry them for a ruleSelector', () => {
    const labelled = synth({ ruleLabels: { release: 'kube-prometheus-stack' } }).filter((o) => o.kind === 'PrometheusRule');
    for (const r of labelled) expect(r.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('when a dashboard is not valid JSON, then synthesis fails naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitoring-'));
    try {
      fs.cpSync(MONITORING, dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'grafana', 'dashboards', 'broken.json'), '{"uid": ');
      expect(() => synth({ monitoringDir: dir })).toThrow(MonitoringSourceError);
      expect(() => synth({ monitoringDir: dir })).toThrow(/broken\.json/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
