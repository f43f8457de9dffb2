// The app Deployment. runImageRef is the image it should run: the operator passes the last
// migrated image while the migration for the spec's image is pending.
import type { V1Deployment } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { commonLabels, selectorLabels } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';
import { baseContainer, databaseEnv, podSecurityContext, tmpVolume } from './pod';

export const APP_CONTAINER = 'app';
export const HTTP_PORT_NAME = 'http';

export function buildDeployment(app: FastApiApp, runImageRef: string): V1Deployment {
  const spec = withDefaults(app.spec);
  const labels = commonLabels(app, runImageRef);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: HTTP_PORT_NAME, scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(app, childName(app), labels),
    spec: {
      replicas: spec.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(app) },
      // Never drop below the desired count during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template: {
        metadata: { labels, annotations: { 'kubectl.kubernetes.io/default-container': APP_CONTAINER } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(),
          containers: [
            {
              ...baseContainer(APP_CONTAINER, runImageRef, spec),
              ports: [{ name: HTTP_PORT_NAME, containerPort: spec.port, protocol: 'TCP' }],
              env: [{ name: 'PORT', value: String(spec.port) }, ...databaseEnv(spec)],
              startupProbe: probe('/livez', 2, 30),
              livenessProbe: probe('/livez', 10, 3),
              readinessProbe: probe('/readyz', 5, 3),
            },
          ],
          volumes: [tmpVolume()],
        },
      },
    },
  };
}
