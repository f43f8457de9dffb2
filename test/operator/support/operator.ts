// Runs the operator in-process for a test: scoped to one namespace, probe server on a free port,
// logs captured (and printed when OPERATOR_TEST_LOGS=1).
import type { ClusterAuth } from '../../../operator/src/kube/auth';
import { loadConfig, type OperatorConfig } from '../../../operator/src/config';
import { startOperator, type OperatorHandle } from '../../../operator/src/operator';
import { metricValue as parseValue } from '../../harness/metrics.cjs';
import { memoryLogger } from './informer-kit';

export interface TestOperator extends OperatorHandle {
  /** JSON log lines written so far */
  logs: Array<Record<string, unknown>>;
}

export async function startTestOperator(kc: ClusterAuth, namespace: string, overrides: Partial<OperatorConfig> = {},
  leaderElection: Partial<OperatorConfig['leaderElection']> = {}): Promise<TestOperator> {
  const base = loadConfig({ WATCH_NAMESPACES: namespace, LEADER_ELECT: 'false', METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'debug' });
  const config: OperatorConfig = {
    ...base, crdPollMs: 1000, ...overrides,
    leaderElection: { ...base.leaderElection, namespace, ...leaderElection },
  };
  const { logger, records: logs } = memoryLogger({ component: 'fastapiapp-operator' });
  const handle = await startOperator({ config, kubeConfig: kc, logger });
  return { ...handle, logs };
}

/** GET on the operator's probe/metrics server. */
export async function probe(op: OperatorHandle, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${op.metricsAddress}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one series on the operator's /metrics (labels must match exactly those given, in any order). */
export async function metricValue(op: OperatorHandle, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return parseValue((await probe(op, '/metrics')).body, name, labels, { exact: true });
}
