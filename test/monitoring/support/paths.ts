// Where the monitoring sources live, for every monitoring test.
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const MONITORING = path.join(REPO, 'monitoring');
export const PROMETHEUS_DIR = path.join(MONITORING, 'prometheus');
export const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
export const RULE_TESTS_DIR = path.join(PROMETHEUS_DIR, 'tests');
export const DASHBOARDS_DIR = path.join(MONITORING, 'grafana', 'dashboards');
export const PROVISIONING_DIR = path.join(MONITORING, 'grafana', 'provisioning');
export const ALERTMANAGER_CONFIG = path.join(MONITORING, 'alertmanager', 'alertmanager.yml');
