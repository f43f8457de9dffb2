// Deterministic child names, each a DNS-1123 label of at most 63 characters.
import type { FastApiApp } from '../api/types';
import { HASH_LENGTH, shortHash } from './hash';

const MAX_NAME = 63;
const JOB_INFIX = '-migrate-';

export { shortHash };

/** Name of the Deployment, Service and ServiceMonitor: the FastApiApp's own name (the CRD limits it to 63). */
export function childName(app: FastApiApp): string {
  return app.metadata.name;
}

/** Hash of an image reference, as in the migration Job's image-hash label. */
export function imageHash(ref: string): string {
  return shortHash(ref);
}

/**
 * Name of a migration Job: `<name>-migrate-<hash>`, with the name cut to fit 63. The hash covers
 * the app name and `inputsHash` (the Job's pod template and retry value), so each set of inputs
 * gets exactly one Job and two long names sharing a prefix cannot collide.
 */
export function migrationJobName(app: FastApiApp, inputsHash: string): string {
  const room = MAX_NAME - JOB_INFIX.length - HASH_LENGTH;
  const prefix = app.metadata.name.slice(0, room).replace(/-+$/, '');
  return `${prefix}${JOB_INFIX}${shortHash(`${app.metadata.name}\n${inputsHash}`)}`;
}
