// The Service in front of the serving pods (migration pods carry another component label).
import type { V1Service } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { withDefaults } from './defaults';
import { HTTP_PORT_NAME } from './deployment';
import { childLabels, selectorLabels } from './labels';
import { childName } from './names';
import { childMetadata } from './owner';

export function buildService(app: FastApiApp): V1Service {
  const spec = withDefaults(app.spec);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(app, childName(app), childLabels(app)),
    spec: {
      type: spec.service.type,
      selector: selectorLabels(app),
      ports: [{ name: HTTP_PORT_NAME, port: spec.service.port, targetPort: HTTP_PORT_NAME, protocol: 'TCP' }],
    },
  };
}
