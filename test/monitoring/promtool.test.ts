// The committed Prometheus config, rules and rule unit tests, checked by Debian's promtool.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { requireTool } from '../harness/tools';
import { PROMETHEUS_DIR, RULE_TESTS_DIR, RULES_DIR } from './support/paths';
import { APP_SELECTOR_LABEL, loadRules } from './support/sources';

const run = promisify(execFile);
/** Alerts that fire all the time by design (the dead man's switch heartbeat): no quiet case to test. */
const ALWAYS_FIRING = ['FastApiAppWatchdog'];

async function promtool(args: string[], cwd = PROMETHEUS_DIR): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(requireTool('promtool', 'prometheus'), args, { cwd });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const ruleFiles = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith('.yml')).map((f) => path.join(RULES_DIR, f));
const ruleTests = fs.readdirSync(RULE_TESTS_DIR).filter((f) => f.endsWith('.yml')).map((f) => path.join(RULE_TESTS_DIR, f));

describe('promtool', () => {
  it('when the compose prometheus.yml is checked, then it is valid and loads every rule file', async () => {
    const r = await promtool(['check', 'config', 'prometheus.yml']);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${ruleFiles.length} rule files found`);
  });

  it('when the rule files are checked, then they are valid', async () => {
    const r = await promtool(['check', 'rules', ...ruleFiles]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/FAILED/);
  });

  it('when the rule unit tests run, then they all pass', async () => {
    expect(ruleTests.length).toBeGreaterThan(0);
    const r = await promtool(['test', 'rules', ...ruleTests]);
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.code).toBe(0);
  });

  it('when a rule file is broken, then promtool check rules fails (the checks can fail)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
    try {
      const bad = path.join(dir, 'bad.yml');
      fs.writeFileSync(bad, 'groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: sum(rate(foo[5m])\n');
      const r = await promtool(['check', 'rules', bad]);
      expect(r.code).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rule unit tests can fail', () => {
  // Copies monitoring/prometheus with one alert's expression replaced, and runs the unit tests on it.
  async function testRulesWith(alert: string, expr: string): Promise<{ code: number; out: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-mutant-'));
    try {
      fs.cpSync(PROMETHEUS_DIR, dir, { recursive: true });
      let mutated = '';
      for (const file of fs.readdirSync(path.join(dir, 'rules'))) {
        const full = path.join(dir, 'rules', file);
        const doc = parse(fs.readFileSync(full, 'utf8'));
        for (const g of doc.groups) {
          for (const r of g.rules) {
            if (r.alert === alert) {
              r.expr = expr;
              mutated = file;
            }
          }
        }
        fs.writeFileSync(full, stringify(doc));
      }
      // Only the unit-test files that load the mutated rule file.
      const tests = fs.readdirSync(path.join(dir, 'tests'))
        .filter((f) => fs.readFileSync(path.join(dir, 'tests', f), 'utf8').includes(`rules/${mutated}`))
        .map((f) => path.join('tests', f));
      expect(tests.length).toBeGreaterThan(0);
      return await promtool(['test', 'rules', ...tests], dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const alertNames = loadRules().filter((r) => r.alert).map((r) => r.alert as string);
  // The heartbeat's expression already is `vector(1)`: an always-firing mutant of it is itself.
  const canBeQuiet = alertNames.filter((a) => !ALWAYS_FIRING.includes(a));

  it.each(alertNames)('when %s never fires, then its unit tests fail', async (alert) => {
    const r = await testRulesWith(alert, 'vector(0) > 1');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`alertname: ${alert}`);
  });

  it.each(canBeQuiet)('when %s always fires, then its unit tests fail', async (alert) => {
    const r = await testRulesWith(alert, 'vector(1)');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`alertname: ${alert}`);
  });
});

describe('compose prometheus.yml', () => {
  const config = parse(fs.readFileSync(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'));

  it('when read, then it scrapes the app at app:8000 with the label the app rules select (no job is hard-coded)', () => {
    const job = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'fastapiapp');
    expect(job.static_configs[0].targets).toEqual(['app:8000']);
    expect(job.static_configs[0].labels).toMatchObject({ [APP_SELECTOR_LABEL]: 'fastapiapp' });
    const appRules = loadRules().filter((r) => r.file === 'app.yml' && /\{/.test(r.expr));
    expect(appRules.length).toBeGreaterThan(0);
    for (const r of appRules) expect(r.expr).toContain(`${APP_SELECTOR_LABEL}="fastapiapp"`);
    for (const r of appRules) expect(r.expr).not.toMatch(/\bjob=/);
  });

  it('when read, then it scrapes Prometheus itself and loads rules/*.yml', () => {
    expect(config.scrape_configs.map((j: { job_name: string }) => j.job_name)).toContain('prometheus');
    expect(config.rule_files).toEqual(['rules/*.yml']);
  });
});

describe('rule conventions', () => {
  const rules = loadRules();
  const alerts = rules.filter((r) => r.alert);

  it('when rules are loaded, then there are alerts for the app and the operator', () => {
    const names = alerts.map((a) => a.alert);
    expect(names).toEqual(expect.arrayContaining([
      'FastApiAppDown', 'FastApiAppHighErrorRatio', 'FastApiAppHighLatencyP99', 'FastApiAppDatabaseUnreachable',
      'FastApiAppEventLoopLag', 'FastApiAppOperatorReconcileErrors', 'FastApiAppMigrationFailed', 'FastApiAppsNotReady',
      'FastApiAppOperatorWorkQueueBacklog', 'FastApiAppWatchdog', 'FastApiAppOperatorNoLeader', 'FastApiAppContainerRestarting',
      'FastApiAppContainerOOMKilled', 'FastApiAppScoringWorkerExits',
    ]));
  });

  it.each(alerts.map((a) => [a.alert as string, a] as const))('alert %s has a severity label and summary/description annotations', (_n, a) => {
    expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
    expect(a.annotations?.summary?.length).toBeGreaterThan(10);
    expect(a.annotations?.description?.length).toBeGreaterThan(20);
  });

  it('when the unit tests are read, then every alert is tested both firing and not firing', () => {
    const text = ruleTests.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    const firing = new Set<string>();
    const quiet = new Set<string>();
    // alertname: X followed by exp_alerts: [] (quiet) or a list (firing)
    for (const m of text.matchAll(/alertname:\s*(\w+)\s*\n\s*exp_alerts:\s*(\[\])?/g)) {
      (m[2] ? quiet : firing).add(m[1] as string);
    }
    for (const a of alerts) {
      expect({ alert: a.alert, firing: firing.has(a.alert as string) }).toEqual({ alert: a.alert, firing: true });
      if (ALWAYS_FIRING.includes(a.alert as string)) continue;
      expect({ alert: a.alert, quiet: quiet.has(a.alert as string) }).toEqual({ alert: a.alert, quiet: true });
    }
  });

  it('when recording rules are named, then they follow level:metric:operations', () => {
    for (const r of rules.filter((x) => x.record)) {
      expect(r.record).toMatch(/^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
    }
  });
});
