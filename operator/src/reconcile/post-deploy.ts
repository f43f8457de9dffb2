// Expand/contract: the post-deploy (contract) migration Job runs only once the release is fully
// rolled out (no pod of the previous template left, so nothing still reads what it drops) and
// spec.migration.postDeployDelaySeconds have passed since; only when the pre-deploy run reported
// pending post-deploy migrations or could not say. Pure: the reconciler creates the Job and
// requeues after the remaining bake time.
import type { FastApiApp } from '../api/types';
import type { DefaultedSpec } from '../desired/defaults';
import { MIGRATION_CONTAINER } from '../desired/migration-job';
import { jobState, migrationResult, podProblem, type MigrationResult, type Observed } from './observed';
import type { Plan } from './plan';
import { findRevision } from './revisions';

export type PostState =
  | { phase: 'notNeeded'; reason: 'MigrationDisabled' | 'NoPostDeployMigrations'; message: string }
  /** waiting for the pre-deploy migration, the rollout, or the bake time (afterMs left) */
  | { phase: 'pending'; message: string; afterMs?: number }
  | { phase: 'needsJob' }
  | { phase: 'running'; job: string }
  /** from: this pass saw the Job succeed (result: its summary), or status recorded it */
  | { phase: 'succeeded'; from: 'job' | 'recorded'; result?: MigrationResult }
  | { phase: 'failed'; reason: string; message: string };

export function postState(app: FastApiApp, spec: DefaultedSpec, plan: Plan, observed: Observed, rolledOut: boolean, now: Date): PostState {
  const { migration, target } = plan;
  if (migration.phase === 'disabled') return { phase: 'notNeeded', reason: 'MigrationDisabled', message: 'migrations are disabled' };
  if (migration.phase !== 'succeeded') return { phase: 'pending', message: `waiting for the pre-deploy migration of ${target}` };
  const revision = findRevision(app.status?.history, plan.inputs);
  const pending = revision?.pendingPost ?? plan.result?.pendingPost;
  // before "recorded": a release with nothing to do stays NoPostDeployMigrations on every later
  // pass (turning into PostDeployMigrationSucceeded cost a status write and an Event per release)
  if (migration.from === 'legacy' || pending?.length === 0) {
    return { phase: 'notNeeded', reason: 'NoPostDeployMigrations', message: `no post-deploy migrations are pending for ${target}` };
  }
  if (revision?.postMigrated) return { phase: 'succeeded', from: 'recorded' };
  const job = observed.targetPostJob;
  if (job) {
    const state = jobState(job);
    if (state.phase === 'succeeded') {
      const result = migrationResult(observed.pods, job, MIGRATION_CONTAINER);
      return result ? { phase: 'succeeded', from: 'job', result } : { phase: 'succeeded', from: 'job' };
    }
    if (state.phase === 'failed') {
      const result = migrationResult(observed.pods, job, MIGRATION_CONTAINER);
      return { phase: 'failed', reason: 'PostDeployMigrationFailed',
        message: `the post-deploy migration Job ${job.metadata.name} for ${target} failed (${state.reason}): ${result?.message ?? state.message}; ` +
          'the release keeps serving; fix the database or the migration and set the retry annotation' };
    }
    const problem = podProblem(observed.pods, job, MIGRATION_CONTAINER);
    if (problem) return { phase: 'failed', reason: problem.reason, message: problem.message };
    return { phase: 'running', job: job.metadata.name };
  }
  if (!rolledOut) return { phase: 'pending', message: `waiting for ${plan.runImage ?? target} to be fully rolled out (no pod of the previous template left)` };
  const since = Date.parse(revision?.firstServed ?? now.toISOString());
  const afterMs = since + spec.migration.postDeployDelaySeconds * 1000 - now.getTime();
  if (afterMs > 0) {
    return { phase: 'pending', afterMs, message: `rolled out; the post-deploy migration starts after the bake time (${Math.ceil(afterMs / 1000)} s left)` };
  }
  return { phase: 'needsJob' };
}
