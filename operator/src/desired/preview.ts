// The BlueGreen strategy's children: the preview Deployment <name>-preview (the new template at
// full size), the Service <name>-preview in front of it, and the selector the active Service <name>
// uses while it is switched to the preview. Preview pods carry component=preview (not server) and
// track=preview: the active Service (component=server) never selects them until switched, and their
// series stay apart by track. The NetworkPolicy selects by name and instance, so it covers them.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { buildDeployment } from './deployment';
import { COMPONENT_LABEL, selectorLabels, TRACK_LABEL } from './labels';
import { buildService } from './service';

export const PREVIEW_TRACK = 'preview';
export const PREVIEW_COMPONENT = 'preview';
export const PREVIEW_SUFFIX = '-preview';

export const previewName = (app: FastApiApp): string => `${app.metadata.name}${PREVIEW_SUFFIX}`;

/** Selector of the preview pods (the preview Service, and the active Service once switched). */
export function previewSelector(app: FastApiApp): Record<string, string> {
  return { ...selectorLabels(app), [COMPONENT_LABEL]: PREVIEW_COMPONENT, [TRACK_LABEL]: PREVIEW_TRACK };
}

/** The preview Deployment running `runImageRef` on `replicas` pods (its template hash annotation is the new template's). */
export function buildPreviewDeployment(app: FastApiApp, runImageRef: string, replicas: number, secretHash?: string): V1Deployment {
  const d = buildDeployment(app, runImageRef, secretHash);
  const own = previewSelector(app);
  const spec = d.spec!;
  return {
    ...d,
    metadata: { ...d.metadata, name: previewName(app), labels: { ...d.metadata!.labels, ...own } },
    spec: {
      ...spec,
      replicas,
      selector: { matchLabels: own },
      template: { ...spec.template, metadata: { ...spec.template.metadata, labels: { ...spec.template.metadata!.labels, ...own } } },
    },
  };
}

/**
 * The Service <name>-preview: the app Service's labels (so the ServiceMonitor scrapes the preview
 * pods, job=<name>, fastapiapp_io_track="preview") selecting the preview pods.
 */
export function buildPreviewService(app: FastApiApp): V1Service {
  const s = buildService(app);
  return { ...s, metadata: { ...s.metadata, name: previewName(app) }, spec: { ...s.spec!, selector: previewSelector(app) } };
}

/** The active Service <name> switched to the preview pods. */
export function buildSwitchedService(app: FastApiApp): V1Service {
  const s = buildService(app);
  return { ...s, spec: { ...s.spec!, selector: previewSelector(app) } };
}
