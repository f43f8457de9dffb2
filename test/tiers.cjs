// Which test files belong to which jest project (jest.config.cjs). A new test file lands in the
// integration tier unless it is listed here: list it under UNIT only when it needs no Postgres,
// no API server, no root, no Go and no Debian tool (.ci/run proves it: it runs `npm run test:unit`
// as the unprivileged user `nobody` with only /usr/bin and /bin on PATH).
'use strict';

/** Pure code, files and in-process servers. */
const UNIT = [
  'test/api/builders.test.ts',
  'test/api/prometheus-rule.test.ts',
  'test/api/schema.test.ts',
  'test/app/background.test.ts',
  'test/app/http-server.test.ts',
  'test/app/one-schema.test.ts',
  'test/app/postgres-access.test.ts',
  'test/app/security-config.test.ts',
  'test/app/sentiment.test.ts',
  'test/cdk8s/synth.test.ts',
  'test/cicd/ci-workflow.test.ts',
  'test/cicd/deploy-path.test.ts',
  'test/cicd/pins.test.ts',
  'test/docs/links.test.ts',
  'test/infra/config.test.ts',
  'test/infra/container-logs.test.ts',
  'test/infra/custom-config.test.ts',
  'test/infra/database.test.ts',
  'test/infra/edge.test.ts',
  'test/infra/stack.test.ts',
  'test/monitoring/monitoring-chart.test.ts',
  'test/operator/analysis-gates.test.ts',
  'test/operator/canary-plan.test.ts',
  'test/operator/blue-green-plan.test.ts',
  'test/operator/config.test.ts',
  'test/operator/diff.test.ts',
  'test/operator/releases-plan.test.ts',
  'test/operator/shutdown.test.ts',
  'test/operator/status.test.ts',
  'test/operator/workqueue.test.ts',
];

/**
 * Suites that bound this app's latency under load they make themselves (wrk): one at a time, after
 * the integration tier, with the same Postgres and API server. Beside another worker's test (the
 * scoring flood takes both cores) they measured that test, not the app: a stalled-stdout /livez
 * p99 of 55.8 ms against a 50 ms bound in a CI run at load 2.2, while the flood ran on the other worker.
 */
const TIMED = [
  'test/app/log-stall.test.ts',
  'test/app/scoring-bounds.test.ts',
  'test/operator/leader-freeze.test.ts',
];

/** The real one-node cluster: one suite at a time (each holds the machine-wide cluster lock). */
const CLUSTER = [
  'test/docs/local-quickstart.test.ts',
  'test/e2e/release-ordering.test.ts',
  'test/e2e/releases.test.ts',
  'test/e2e/whole-path.test.ts',
  'test/e2e-monitoring/prometheus-operator.test.ts',
];

module.exports = { UNIT, TIMED, CLUSTER };
