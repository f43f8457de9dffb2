// The shipped Alertmanager routing example (monitoring/alertmanager/alertmanager.yml), checked and
// routed by Debian's amtool: valid config, critical FastApiApp alerts page, warnings go to the team.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { requireTool } from '../harness/tools';
import { ALERTMANAGER_CONFIG } from './support/paths';
import { loadRules } from './support/sources';

const run = promisify(execFile);
const amtool = (args: string[]) => run(requireTool('amtool', 'prometheus-alertmanager'), args);

/** Receiver amtool's route test picks for an alert with these labels. */
async function receiverFor(labels: Record<string, string>, config = ALERTMANAGER_CONFIG): Promise<string> {
  const { stdout } = await amtool(['config', 'routes', 'test', `--config.file=${config}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  return stdout.trim();
}

describe('Alertmanager routing example', () => {
  it('when checked by amtool, then it is valid', async () => {
    const { stdout } = await amtool(['check-config', ALERTMANAGER_CONFIG]);
    expect(stdout).toContain('SUCCESS');
  });

  it('when a config is broken, then amtool check-config fails (the check can fail)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amtool-'));
    try {
      const bad = path.join(dir, 'bad.yml');
      fs.writeFileSync(bad, fs.readFileSync(ALERTMANAGER_CONFIG, 'utf8').replace('receiver: pager', 'receiver: nobody'));
      await expect(amtool(['check-config', bad])).rejects.toMatchObject({ code: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const alerts = loadRules().filter((r) => r.alert);
  const HEARTBEAT = 'FastApiAppWatchdog';
  it('when the always-firing heartbeat fires, then it goes to the dead man\'s switch every minute', async () => {
    expect(await receiverFor({ alertname: HEARTBEAT, severity: 'info' })).toBe('heartbeat');
    const route = parse(fs.readFileSync(ALERTMANAGER_CONFIG, 'utf8')).route.routes.find((r: { receiver: string }) => r.receiver === 'heartbeat');
    expect(route.repeat_interval).toBe('1m');
  });

  it.each(alerts.filter((a) => a.alert !== HEARTBEAT).map((a) => [a.alert as string, a.labels?.severity as string]))('when %s (%s) fires, then it is routed by its severity', async (alertname, severity) => {
    expect(await receiverFor({ alertname, severity, namespace: 'shop', job: 'items' })).toBe(severity === 'critical' ? 'pager' : 'team-platform');
  });

  it('when read, then alerts are grouped per app and an app without targets inhibits its warnings', () => {
    const config = parse(fs.readFileSync(ALERTMANAGER_CONFIG, 'utf8'));
    expect(config.route.group_by).toEqual(['alertname', 'namespace', 'job']);
    const targetsGone = config.inhibit_rules.find((r: { source_matchers: string[] }) => r.source_matchers.some((m) => m.includes('FastApiAppTargetsAbsent')));
    expect(targetsGone.equal).toEqual(['namespace', 'job']);
    for (const name of ['FastApiAppTargetsAbsent', 'FastApiAppOperatorAbsent']) expect(alerts.map((a) => a.alert)).toContain(name);
  });
});
