// The PrometheusRule the operator generates from spec.slo, run by Debian's promtool: rule unit
// tests on synthetic series show each burn-rate alert firing at its threshold and not below it,
// going quiet when its short window is clean, and the per-version recording rules.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import {
  BURN_WINDOWS, ERROR_BUDGET_ALERT, LATENCY_BUDGET_ALERT, RECORD, buildPrometheusRule, type AlertingRule,
} from '../../operator/src/desired';
import type { SloSpec } from '../../operator/src/api/types';
import { requireTool } from '../harness/tools';
import { fastApiApp } from '../api/fixtures';

const run = promisify(execFile);
const SLO: SloSpec = { availability: { objective: '99.9' }, latency: { threshold: '0.5', objective: '99' }, window: '30d' };
const APP = fastApiApp({ slo: SLO }, 'items', 'shop');
const rule = buildPrometheusRule(APP);
const alertRules = rule.spec.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slo-rules-'));
  fs.writeFileSync(path.join(dir, 'slo.yml'), stringify({ groups: rule.spec.groups }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(requireTool('promtool', 'prometheus'), args, { cwd: dir, maxBuffer: 16 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Traffic per minute in phases: `bad` of every `total` requests are bad (5xx, or slower than the threshold). */
interface Phase { minutes: number; total: number; bad: number }

/** Cumulative counter samples, one a minute, for each phase in turn (starting at 0 at minute 0). */
function counter(phases: Phase[], pick: (p: Phase) => number): string {
  const values = [0];
  for (const p of phases) for (let i = 0; i < p.minutes; i++) values.push(values[values.length - 1]! + pick(p));
  return values.join(' ');
}

const base = 'app_kubernetes_io_name="fastapiapp", namespace="shop", job="items", method="GET", route="/items/{id}"';

/** Series of one app version: 5xx and 2xx counters, and the duration histogram's count and 0.5s bucket. */
function errorSeries(phases: Phase[], version = '1.0.0', job = 'items') {
  const l = `${base.replace('job="items"', `job="${job}"`)}, app_kubernetes_io_version="${version}"`;
  return [
    { series: `http_requests_total{${l}, status_code="500"}`, values: counter(phases, (p) => p.bad) },
    { series: `http_requests_total{${l}, status_code="200"}`, values: counter(phases, (p) => p.total - p.bad) },
  ];
}
function latencySeries(phases: Phase[]) {
  const l = `${base}, app_kubernetes_io_version="1.0.0", status_code="200"`;
  return [
    { series: `http_requests_total{${l}}`, values: counter(phases, (p) => p.total) },
    { series: `http_request_duration_seconds_count{${l}}`, values: counter(phases, (p) => p.total) },
    { series: `http_request_duration_seconds_bucket{${l}, le="0.5"}`, values: counter(phases, (p) => p.total - p.bad) },
  ];
}

/** What promtool must see for `alert` at one time: the windows (by long window) that fire. */
function expected(alert: string, longWindows: string[]) {
  return alertRules
    .filter((r) => r.alert === alert && longWindows.includes(r.labels.long_window!))
    .map((r) => ({ exp_labels: { ...r.labels, namespace: 'shop', job: 'items' }, exp_annotations: r.annotations }));
}

async function testRules(tests: unknown[]): Promise<{ code: number; out: string }> {
  const file = path.join(dir, `t-${Math.random().toString(36).slice(2)}.yml`);
  // Rules every 5m (series every 1m): 5x fewer evaluations, and every eval_time below is a multiple of 5m.
  fs.writeFileSync(file, stringify({ rule_files: ['slo.yml'], evaluation_interval: '5m', tests }));
  return promtool(['test', 'rules', path.basename(file)]);
}

const steady = (total: number, bad: number, minutes = 90): Phase[] => [{ minutes, total, bad }];

test('when the generated rules are checked, then promtool accepts them and every alert links its runbook', async () => {
  const r = await promtool(['check', 'rules', 'slo.yml']);
  expect(r.out).toContain('SUCCESS');
  expect(r.code).toBe(0);
  expect(alertRules).toHaveLength(8);
  for (const a of alertRules) {
    expect(a.annotations.runbook_url).toBe(`docs/operations/runbooks/${a.alert}.md`);
    expect(fs.existsSync(path.join(__dirname, '../..', a.annotations.runbook_url!))).toBe(true);
  }
});

// Availability 99.9%: budget 0.1%, so the thresholds are 1.44% (1h/5m), 0.6% (6h/30m), 0.3% (1d/2h), 0.1% (3d/6h).
// A steady error ratio fires exactly the windows whose threshold it exceeds.
describe.each([
  ['error', ERROR_BUDGET_ALERT, errorSeries, 1000, [[0.5, []], [2, ['3d']], [4, ['1d', '3d']], [10, ['6h', '1d', '3d']], [20, ['1h', '6h', '1d', '3d']]]],
  // Latency 99% under 0.5s: budget 1%, thresholds 14.4%, 6%, 3%, 1%.
  ['latency', LATENCY_BUDGET_ALERT, latencySeries, 100, [[0.5, []], [2, ['3d']], [4, ['1d', '3d']], [10, ['6h', '1d', '3d']], [20, ['1h', '6h', '1d', '3d']]]],
] as const)('%s budget burn', (_kind, alert, series, total, cases) => {
  it.each(cases.map(([bad, fire]) => [bad, total, fire.join(', ') || 'none', fire] as const))(
    'when %s of every %s requests per minute are bad, then the windows that fire are: %s', async (bad, _total, _names, fire) => {
      const r = await testRules([{
        name: `steady ${bad}`,
        interval: '1m',
        input_series: series(steady(total, bad)),
        alert_rule_test: [{ eval_time: '80m', alertname: alert, exp_alerts: expected(alert, [...fire]) }],
      }]);
      expect(r.out).toContain('SUCCESS');
      expect(r.code).toBe(0);
    });
});

describe('short windows: a burn that has stopped stops paging', () => {
  // 2% errors (all four thresholds exceeded) for 8h, then none: each alert goes quiet once its short
  // window is clean although its long window still holds the errors.
  const phases = (cleanMinutes: number): Phase[] => [{ minutes: 480, total: 1000, bad: 20 }, { minutes: cleanMinutes, total: 1000, bad: 0 }];
  it.each([
    [0, ['1h', '6h', '1d', '3d']],
    [10, ['6h', '1d', '3d']], // 5m clean; 1h still at ~1.67% > 1.44%
    [40, ['1d', '3d']], // 30m clean too
    [150, ['3d']], // 2h clean too
    [400, []], // 6h clean too
  ] as const)('when the errors stopped %s minutes ago, then the windows that fire are %j', async (clean, fire) => {
    const r = await testRules([{
      name: `clean for ${clean}m`,
      interval: '1m',
      input_series: errorSeries(phases(clean)),
      alert_rule_test: [{ eval_time: `${480 + clean}m`, alertname: ERROR_BUDGET_ALERT, exp_alerts: expected(ERROR_BUDGET_ALERT, [...fire]) }],
    }]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });

  it('when a rule unit test expects the wrong alerts, then promtool fails (the tests can fail)', async () => {
    const r = await testRules([{
      name: 'wrong', interval: '1m', input_series: errorSeries(steady(1000, 2)),
      alert_rule_test: [{ eval_time: '80m', alertname: ERROR_BUDGET_ALERT, exp_alerts: [] }],
    }]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(ERROR_BUDGET_ALERT);
  });
});

test('when two versions serve, then the per-version recording rules keep them apart and the app ratio combines them; another app is not counted', async () => {
  const r = await testRules([{
    name: 'per version',
    interval: '1m',
    input_series: [
      ...errorSeries(steady(900, 9), '1.0.0'), // 1%
      ...errorSeries(steady(100, 20), '1.1.0'), // 20%
      ...errorSeries(steady(1000, 500), '1.0.0', 'other'), // another app in the namespace
    ],
    promql_expr_test: [
      // round(): the ratios of extrapolated rates differ from the exact ones in the last bits
      {
        expr: `round(${RECORD.versionErrorRatio('5m')} * 1000)`,
        eval_time: '30m',
        exp_samples: [
          { labels: '{namespace="shop", job="items", app_kubernetes_io_version="1.0.0"}', value: 10 },
          { labels: '{namespace="shop", job="items", app_kubernetes_io_version="1.1.0"}', value: 200 },
        ],
      },
      { expr: `round(${RECORD.versionRequests('1h')} * 60)`, eval_time: '90m', exp_samples: [
        { labels: '{namespace="shop", job="items", app_kubernetes_io_version="1.0.0"}', value: 900 },
        { labels: '{namespace="shop", job="items", app_kubernetes_io_version="1.1.0"}', value: 100 },
      ] },
      { expr: `round(${RECORD.objective} * 1000)`, eval_time: '30m', exp_samples: [
        { labels: '{namespace="shop", job="items", slo="availability"}', value: 999 },
        { labels: '{namespace="shop", job="items", slo="latency"}', value: 990 },
      ] },
      // (9 + 20) / 1000
      { expr: `round(${RECORD.appErrorRatio('1h')} * 1000)`, eval_time: '90m', exp_samples: [{ labels: '{namespace="shop", job="items"}', value: 29 }] },
    ],
  }]);
  expect(r.out).toContain('SUCCESS');
  expect(r.code).toBe(0);
});

test('when the burn windows are read, then they are the SRE workbook\'s for a 30-day window', () => {
  const page = alertRules.filter((a) => a.alert === ERROR_BUDGET_ALERT).map((a) => [a.labels.severity, a.labels.long_window, a.labels.short_window, a.expr.match(/> ([0-9.]+) \*/)?.[1]]);
  expect(page).toEqual([
    ['critical', '1h', '5m', '14.4'], ['critical', '6h', '30m', '6'], ['warning', '1d', '2h', '3'], ['warning', '3d', '6h', '1'],
  ]);
  expect(BURN_WINDOWS).toHaveLength(4);
});
