// What the operator keeps of a Secret: a hash per key, never the values. The app Deployment's pod
// template carries the hash of the database URL's key, so changing that value rolls the pods
// (the migration Job's template does not carry it: a new password is no reason to migrate again).
import type { KubeObject, Secret } from '../kube/types';
import { shortHash } from './hash';

/** Pod template annotation: hash of the referenced database Secret key's value. */
export const DATABASE_SECRET_HASH_ANNOTATION = 'fastapiapp.io/database-secret-hash';

/**
 * The label that marks a Secret for the operator: it watches (as hashes) only Secrets carrying it,
 * so a Secret an app reads must be labelled for its changes to roll the pods.
 */
export const WATCHED_SECRET_LABEL = 'platform.fastapiapp.io/secret';
export const WATCHED_SECRET_SELECTOR = `${WATCHED_SECRET_LABEL}=true`;
/** The ClusterRole granting list/watch on Secrets, bound per namespace (cdk8s/charts/operator.ts). */
export const SECRET_READER_ROLE = 'fastapiapp-operator-secret-reader';

/** A Secret reduced to metadata and `keyHashes` (key -> hash of its base64 value). */
export interface SecretDigest extends KubeObject {
  keyHashes: Record<string, string>;
}

/** Informer transform: drops the data, keeps a hash per key. */
export function digestSecret(secret: Secret): SecretDigest {
  const data = secret.data ?? {};
  const { name, namespace, uid, resourceVersion } = secret.metadata;
  return {
    apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, uid, resourceVersion },
    keyHashes: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, shortHash(`${k}\n${v}`, 16)])),
  };
}
