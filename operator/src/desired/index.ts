// Pure desired-state builders: functions of a FastApiApp, no I/O, no clocks, no randomness.
export { withDefaults, type DefaultedSpec } from './defaults';
export { digestOf, imageRef, pinnedRef, tagOf } from './image';
export * from './labels';
export { childName, imageHash, migrationJobName, shortHash } from './names';
export { ownerReference } from './owner';
export { RUN_AS_USER, appEnv, containerSecurityContext, podSecurityContext } from './pod';
export { APP_CONTAINER, HTTP_PORT_NAME, METRICS_PORT_NAME, TEMPLATE_HASH_ANNOTATION, TERMINATION_GRACE_SECONDS, buildDeployment } from './deployment';
export { buildService } from './service';
export { buildDisruptionBudget, wantsDisruptionBudget } from './disruption-budget';
export { buildNetworkPolicy } from './network-policy';
export {
  FINAL_EXIT_CODES, GENERATION_ANNOTATION, INPUTS_ANNOTATION, MIGRATION_CONTAINER, PHASE_ANNOTATION, RETRY_ANNOTATION, RETRY_MIGRATION_ANNOTATION,
  buildMigrationJob, inputsHashOf, type MigrationPhase,
} from './migration-job';
export * from './service-monitor';
export { DATABASE_SECRET_HASH_ANNOTATION, digestSecret, WATCHED_SECRET_LABEL, WATCHED_SECRET_SELECTOR, type SecretDigest } from './secret-hash';
export { canonicalJson, objectHash } from './hash';
export * from './prometheus-rule';
export * from './sli';
export { buildCanaryDeployment, canaryName, CANARY_SUFFIX, CANARY_TRACK } from './canary-deployment';
