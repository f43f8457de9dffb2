// The FastApiApp status a pass ends with, as a pure function of what it saw and did. Ready is
// never True while anything failed; the conditions carry reasons kubectl users can act on.
import type { FastApiApp, FastApiAppStatus } from '../api/types';
import type { DefaultedSpec } from '../desired/defaults';
import { selectorString } from '../desired/labels';
import { canonicalJson } from './diff';
import { mergeConditions, type ConditionInput } from './conditions';
import { deploymentImage, deploymentRolledOut, type Observed } from './observed';
import type { Plan } from './plan';

export interface PassOutcome {
  plan: Plan;
  /** the children after this pass's applies */
  observed: Observed;
  /** the error that stopped the pass, if any */
  error?: Error;
}

const cond = (type: string, status: boolean, reason: string, message: string): ConditionInput =>
  ({ type, status: status ? 'True' : 'False', reason, message });

export function computeStatus(app: FastApiApp, spec: DefaultedSpec, { plan, observed, error }: PassOutcome, now: string): FastApiAppStatus {
  const { migration, target } = plan;
  const deployment = observed.deployment;
  const running = deploymentImage(deployment);
  const rolledOut = deployment !== undefined && running === target && deploymentRolledOut(deployment);
  const failed = migration.phase === 'failed';
  const ready = rolledOut && !failed && !error;

  const migrated = ((): ConditionInput => {
    switch (migration.phase) {
      case 'disabled': return cond('Migrated', true, 'MigrationDisabled', `migrations are disabled; ${target} runs without one`);
      case 'succeeded': return cond('Migrated', true, 'MigrationSucceeded', `the database is migrated for ${target}`);
      case 'failed': return cond('Migrated', false, 'MigrationFailed', `the migration Job for ${target} failed (${migration.reason}): ${migration.message}; the Deployment stays on ${running ?? 'nothing'}; set a new tag to try again`);
      default: return cond('Migrated', false, 'MigrationRunning', `the migration Job for ${target} is running`);
    }
  })();

  const degraded = error
    ? cond('Degraded', true, 'ReconcileError', error.message)
    : failed ? cond('Degraded', true, 'MigrationFailed', migrated.message)
      : cond('Degraded', false, 'AsExpected', 'no failures');

  const progressing = failed ? cond('Progressing', false, 'MigrationFailed', migrated.message)
    : migration.phase === 'running' || migration.phase === 'needsJob' ? cond('Progressing', true, 'MigrationRunning', migrated.message)
      : rolledOut ? cond('Progressing', false, 'RolloutComplete', `all ${spec.replicas} replicas run ${target}`)
        : cond('Progressing', true, 'RollingOut', `waiting for the Deployment to roll out ${target}`);

  const readyCond = ready ? cond('Ready', true, 'Available', `all ${spec.replicas} replicas of ${target} are updated and available`)
    : error ? cond('Ready', false, 'ReconcileError', error.message)
      : failed ? cond('Ready', false, 'MigrationFailed', migrated.message)
        : !rolledOut && (migration.phase === 'running' || migration.phase === 'needsJob') ? cond('Ready', false, 'MigrationRunning', migrated.message)
          : cond('Ready', false, 'RollingOut', deployment ? `waiting for the Deployment to roll out ${target}` : 'the Deployment does not exist yet');

  const monitoring = plan.monitoring === 'apply' ? cond('MonitoringAvailable', true, 'ServiceMonitorApplied', 'a ServiceMonitor scrapes the app')
    : plan.monitoring === 'unavailable' ? cond('MonitoringAvailable', false, 'CRDNotInstalled', 'the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed; the ServiceMonitor is created once it is')
      : cond('MonitoringAvailable', false, 'MonitoringDisabled', 'spec.monitoring.enabled is false');

  const paused = cond('Paused', false, 'Reconciling', 'changes to the spec are applied');

  const generation = app.metadata.generation;
  const status: FastApiAppStatus = {
    observedGeneration: generation,
    conditions: mergeConditions(app.status?.conditions, [readyCond, migrated, progressing, degraded, monitoring, paused], generation, now),
    selector: selectorString(app),
    replicas: deployment?.status?.replicas ?? 0,
    readyReplicas: deployment?.status?.readyReplicas ?? 0,
  };
  if (running) status.image = running;
  const migratedImage = migration.phase === 'succeeded' ? target : app.status?.migratedImage;
  if (migratedImage) status.migratedImage = migratedImage;
  return status;
}

/** Status while spec.paused: as it was, plus Paused=True for the current generation. */
export function pausedStatus(app: FastApiApp, now: string): FastApiAppStatus {
  const generation = app.metadata.generation;
  return {
    ...app.status,
    observedGeneration: generation,
    conditions: mergeConditions(app.status?.conditions,
      [cond('Paused', true, 'Paused', 'spec.paused is true: children are left as they are')], generation, now, true),
  };
}

/** Status equality that ignores key order. */
export const sameStatus = (a: FastApiAppStatus | undefined, b: FastApiAppStatus): boolean => canonicalJson(a ?? {}) === canonicalJson(b);
