// prometheus-operator ServiceMonitor scraping the app's pods behind its Service. It names the pods'
// `metrics` container port (targetPort), which the Service does not expose: /metrics is never
// reachable through the Service, only pod to pod (Prometheus's endpoints discovery lists every
// container port of the pods behind a Service).
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { METRICS_PORT_NAME } from './deployment';
import { childLabels, INSTANCE_LABEL, NAME_LABEL, selectorLabels, TRACK_LABEL, VERSION_LABEL } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';

export const SERVICE_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';
export const SERVICE_MONITOR_KIND = 'ServiceMonitor';
export const SERVICE_MONITOR_PLURAL = 'servicemonitors';
export const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

export interface ServiceMonitor {
  apiVersion: typeof SERVICE_MONITOR_API_VERSION;
  kind: typeof SERVICE_MONITOR_KIND;
  metadata: V1ObjectMeta;
  spec: {
    jobLabel: string;
    targetLabels: string[];
    podTargetLabels: string[];
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { targetPort: string; path: string; interval: string; scheme: 'http' }[];
  };
}

export function buildServiceMonitor(app: FastApiApp): ServiceMonitor {
  const spec = withDefaults(app.spec);
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: SERVICE_MONITOR_KIND,
    // spec.monitoring.labels first: the operator's own labels (its watch selects by them) win.
    metadata: childMetadata(app, childName(app), { ...spec.monitoring.labels, ...childLabels(app) }),
    spec: {
      // job=<the FastApiApp's name> (the Service's instance label): two apps in one namespace stay
      // separate series. targetLabels copies the Service's app.kubernetes.io/name (fastapiapp) onto
      // every series as app_kubernetes_io_name, which the app rules and dashboards select on.
      jobLabel: INSTANCE_LABEL,
      targetLabels: [NAME_LABEL],
      // The pod's version (and, once a release strategy sets it, track) on every series, as
      // app_kubernetes_io_version / fastapiapp_io_track: per-version SLIs for SLOs and release gates.
      podTargetLabels: [VERSION_LABEL, TRACK_LABEL],
      selector: { matchLabels: selectorLabels(app) },
      namespaceSelector: { matchNames: [app.metadata.namespace] },
      endpoints: [
        { targetPort: METRICS_PORT_NAME, path: spec.monitoring.path, interval: spec.monitoring.interval, scheme: 'http' },
      ],
    },
  };
}
