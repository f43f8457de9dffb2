// Shapes of Kubernetes objects as the operator sees them: plain JSON typed with client-node's V1
// types (type-only imports: none of client-node is loaded), with the metadata every stored object has.
import type {
  CoreV1Event, V1ConfigMap, V1Deployment, V1Job, V1Pod, V1NetworkPolicy, V1PodDisruptionBudget, V1Secret, V1Service,
} from '@kubernetes/client-node';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  managedFields?: unknown[];
}

/** What every object has; the kinds the operator reads are typed below (client-node's V1 types). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A stored object of a client-node V1 type: metadata (name included) is always there. */
export type Stored<T extends { metadata?: unknown }> = Omit<T, 'metadata'> & KubeObject;

export type Deployment = Stored<V1Deployment>;
export type Service = Stored<V1Service>;
export type Job = Stored<V1Job>;
export type Pod = Stored<V1Pod>;
export type PodDisruptionBudget = Stored<V1PodDisruptionBudget>;
export type NetworkPolicy = Stored<V1NetworkPolicy>;
export type Secret = Stored<V1Secret>;
export type ConfigMap = Stored<V1ConfigMap>;
export type KubeEvent = Stored<CoreV1Event>;
/** A Lease as JSON (client-node's V1Lease types its MicroTimes as Date; the wire has strings). */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** A kind without a client-node model (ServiceMonitor): its fields as plain JSON. */
export type Unstructured = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

export interface ObjectList<T extends KubeObject = KubeObject> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export const objectKey = (o: { metadata: { namespace?: string; name: string } }): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
