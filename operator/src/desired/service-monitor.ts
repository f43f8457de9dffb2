// prometheus-operator ServiceMonitor scraping the app's Service.
// runningRef is the image the Deployment runs, for the version label.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { HTTP_PORT_NAME } from './deployment';
import { commonLabels, selectorLabels } from './labels';
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
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { port: string; path: string; interval: string; scheme: 'http' }[];
  };
}

export function buildServiceMonitor(app: FastApiApp, runningRef: string | undefined): ServiceMonitor {
  const spec = withDefaults(app.spec);
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: SERVICE_MONITOR_KIND,
    metadata: childMetadata(app, childName(app), commonLabels(app, runningRef)),
    spec: {
      // job="fastapiapp" for every app, which the alert rules and dashboards select on.
      jobLabel: 'app.kubernetes.io/name',
      selector: { matchLabels: selectorLabels(app) },
      namespaceSelector: { matchNames: [app.metadata.namespace] },
      endpoints: [
        { port: HTTP_PORT_NAME, path: spec.monitoring.path, interval: spec.monitoring.interval, scheme: 'http' },
      ],
    },
  };
}
