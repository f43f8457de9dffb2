// The canary Deployment of the Canary strategy: the app Deployment for the new template, named
// <name>-canary, its pods labelled fastapiapp.io/track=canary (selected by the one Service through
// the app labels, told apart in metrics by version and track), and its own selector including the
// track so it never counts stable's pods.
import type { V1Deployment } from '@kubernetes/client-node';
import type { FastApiApp } from '../api/types';
import { buildDeployment } from './deployment';
import { TRACK_LABEL } from './labels';

export const CANARY_TRACK = 'canary';
export const CANARY_SUFFIX = '-canary';

export const canaryName = (app: FastApiApp): string => `${app.metadata.name}${CANARY_SUFFIX}`;

/** The canary Deployment running `runImageRef` on `replicas` pods (its template hash annotation is the new template's). */
export function buildCanaryDeployment(app: FastApiApp, runImageRef: string, replicas: number, secretHash?: string): V1Deployment {
  const d = buildDeployment(app, runImageRef, secretHash);
  const track = { [TRACK_LABEL]: CANARY_TRACK };
  const spec = d.spec!;
  // one Deployment per track: the PDB and topology spread of the app cover both
  return {
    ...d,
    metadata: { ...d.metadata, name: canaryName(app), labels: { ...d.metadata!.labels, ...track } },
    spec: {
      ...spec,
      replicas,
      selector: { matchLabels: { ...spec.selector.matchLabels, ...track } },
      template: { ...spec.template, metadata: { ...spec.template.metadata, labels: { ...spec.template.metadata!.labels, ...track } } },
    },
  };
}
