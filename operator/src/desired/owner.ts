// Controller owner reference: children are garbage-collected with their FastApiApp and
// their events map back to it.
import type { V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND, type FastApiApp } from '../api/types';

export function ownerReference(app: FastApiApp): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: app.metadata.name,
    uid: app.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metadata shared by every child. */
export function childMetadata(app: FastApiApp, name: string, labels: Record<string, string>) {
  return {
    name,
    namespace: app.metadata.namespace,
    labels,
    ownerReferences: [ownerReference(app)],
  };
}
