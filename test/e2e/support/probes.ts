// What the kubelet and the app say about a pod's health: the kubelet's own probe counters (its
// /metrics/probes, read through the API server's node proxy, as `kubectl get --raw` would) and the
// app's /metrics on the pod's `metrics` port (the pod network is reachable from the host here).
import http from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { metricValue, parseMetrics } from '../../harness/metrics.cjs';
import type { Kube } from './kube';

export interface ProbeCounts {
  successful: number;
  failed: number;
}

/** Readiness probe results the kubelet counted per pod of `namespace` (prober_probe_total). */
export async function readinessProbeCounts(kube: Kube, node: string, namespace: string): Promise<Map<string, ProbeCounts>> {
  const text = await kube.core.connectGetNodeProxyWithPath({ name: node, path: 'metrics/probes' });
  const counts = new Map<string, ProbeCounts>();
  for (const s of parseMetrics(text)) {
    if (s.name !== 'prober_probe_total' || s.labels.probe_type !== 'Readiness' || s.labels.namespace !== namespace) continue;
    const c = counts.get(s.labels.pod!) ?? { successful: 0, failed: 0 };
    if (s.labels.result === 'successful') c.successful += s.value;
    else c.failed += s.value; // failed or unknown
    counts.set(s.labels.pod!, c);
  }
  return counts;
}

/** The app's /metrics from the pod's `metrics` container port. */
export function appMetrics(pod: V1Pod): Promise<string> {
  const port = pod.spec?.containers[0]?.ports?.find((p) => p.name === 'metrics')?.containerPort;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: pod.status?.podIP, port, path: '/metrics', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics of ${pod.metadata?.name}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`/metrics of ${pod.metadata?.name}: no answer in 5 s`)));
    req.on('error', reject);
  });
}

/** db_pool_connections{state} of one pod. */
export const poolConnections = (metrics: string, state: 'total' | 'idle' | 'waiting'): number => metricValue(metrics, 'db_pool_connections', { state }) ?? NaN;

export interface SliceEndpoint {
  targetRef?: { name: string };
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
}

/** The endpoints of one EndpointSlice (discovery.k8s.io/v1). */
export const sliceEndpoints = (slice: unknown): SliceEndpoint[] => (slice as { endpoints?: SliceEndpoint[] }).endpoints ?? [];
