// The app Deployment. runImageRef is the image it should run: the operator passes the last
// migrated image while the migration for the spec's image is pending.
import type { V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { objectHash } from './hash';
import { DATABASE_SECRET_HASH_ANNOTATION } from './secret-hash';
import { commonLabels, selectorLabels } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';
import { appEnv, baseContainer, databaseEnv, podPlacement, podSecurityContext, tmpVolume } from './pod';

export const APP_CONTAINER = 'app';
export const HTTP_PORT_NAME = 'http';
export const METRICS_PORT_NAME = 'metrics';
/**
 * On SIGTERM the app turns /readyz 503 and keeps serving for SHUTDOWN_DELAY_MS (default 5 s) so
 * endpoints drop it before it closes; the grace period leaves room for that plus draining.
 */
export const TERMINATION_GRACE_SECONDS = 30;
/** A cold Node start (module load, sentiment model) takes ~3 s on a slow node: probes wait longer. */
/**
 * Annotation on the Deployment: hash of the pod template we asked for. A Deployment whose
 * template hash equals the one last seen rolled out only changed its replica count (HPA, kubectl
 * scale), which is not a rollout.
 */
export const TEMPLATE_HASH_ANNOTATION = 'fastapiapp.io/template-hash';
export const PROBE_TIMEOUT_SECONDS = 3;
export const STARTUP_INITIAL_DELAY_SECONDS = 3;

/** secretHash: the referenced database Secret key's hash (see secret-hash.ts), when the Secret is known. */
export function buildDeployment(app: FastApiApp, runImageRef: string, secretHash?: string): V1Deployment {
  const spec = withDefaults(app.spec);
  const labels = commonLabels(app, runImageRef);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: HTTP_PORT_NAME, scheme: 'HTTP' as const },
    periodSeconds,
    timeoutSeconds: PROBE_TIMEOUT_SECONDS,
    failureThreshold,
  });
  const template: V1PodTemplateSpec = {
    metadata: {
      // the user's extra labels and annotations first: ours win (the schema also forbids overlaps)
      labels: { ...spec.pod.labels, ...labels },
      annotations: {
        ...spec.pod.annotations,
        'kubectl.kubernetes.io/default-container': APP_CONTAINER,
        ...(secretHash ? { [DATABASE_SECRET_HASH_ANNOTATION]: secretHash } : {}),
      },
    },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
      ...podPlacement(spec),
      ...(spec.pod.topologySpreadConstraints.length > 0 ? {
        topologySpreadConstraints: spec.pod.topologySpreadConstraints.map((t) => ({
          ...t, labelSelector: { matchLabels: selectorLabels(app) },
        })),
      } : {}),
      securityContext: podSecurityContext(),
      containers: [
        {
          ...baseContainer(APP_CONTAINER, runImageRef, spec),
          // The Service exposes only `http`; Prometheus scrapes `metrics` on each pod (service-monitor.ts).
          ports: [
            { name: HTTP_PORT_NAME, containerPort: spec.port, protocol: 'TCP' },
            { name: METRICS_PORT_NAME, containerPort: spec.monitoring.port, protocol: 'TCP' },
          ],
          env: [{ name: 'PORT', value: String(spec.port) }, ...appEnv(spec), ...databaseEnv(spec)],
          // up to 3 + 2 x 30 = 63 s to start; liveness only begins once this passed
          startupProbe: { ...probe('/livez', 2, 30), initialDelaySeconds: STARTUP_INITIAL_DELAY_SECONDS },
          livenessProbe: probe('/livez', 10, 3),
          readinessProbe: probe('/readyz', 5, 3),
        },
      ],
      volumes: [tmpVolume()],
    },
  };
  const metadata = childMetadata(app, childName(app), labels);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...metadata, annotations: { [TEMPLATE_HASH_ANNOTATION]: objectHash(template) } },
    spec: {
      replicas: spec.replicas,
      revisionHistoryLimit: 5,
      progressDeadlineSeconds: spec.progressDeadlineSeconds,
      selector: { matchLabels: selectorLabels(app) },
      // Never drop below the desired count during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template,
    },
  };
}
