// The FastApiApp status a pass ends with, as a pure function of what it saw and did.
// Two questions, kept apart so alerts can tell an outage from a held deploy:
// - Available: do pods serve? (the Deployment's own Available condition, whatever image it runs)
// - Ready: is the spec fully rolled out? (migrated, and the Deployment controller reports the
//   new ReplicaSet available for the current template). Unknown while paused.
// One derived phase decides Ready, Progressing and Degraded together.
import type { FastApiApp, FastApiAppStatus, Revision, RolloutStatus } from '../api/types';
import type { DefaultedSpec } from '../desired/defaults';
import { selectorString } from '../desired/labels';
import { canonicalJson } from './diff';
import { mergeConditions, type ConditionInput } from './conditions';
import { NameConflictError } from './errors';
import { deploymentImage, rolledOut, rolloutState, serving, templateHash, type Observed } from './observed';
import type { Plan } from './plan';
import { SECRET_READER_ROLE, WATCHED_SECRET_SELECTOR } from '../desired/secret-hash';
import type { PostState } from './post-deploy';
import type { Serving } from './serving';
import { findRevision, markServed, putFirst, update } from './revisions';

export interface PassOutcome {
  plan: Plan;
  /** the children after this pass's applies */
  observed: Observed;
  /** the error that stopped the pass, if any */
  error?: Error;
  /** whether the operator sees the database Secret (a marked Secret with the key, in a namespace it may read) */
  secret?: 'watched' | 'unmarked' | 'denied';
  /** the post-deploy migration, once this pass applied the children */
  post?: PostState;
  /** the canary rollout of the spec's template (strategy Canary), as this pass decided it */
  rollout?: RolloutStatus;
  /** strategy Canary without a rollout of the spec's template: the last rollout, kept in status */
  lastRollout?: RolloutStatus;
  /** the pods serving traffic (scale subresource); default: the Deployment <name>'s */
  serving?: Serving;
}

/** Where the app stands, most urgent first. */
export type Phase =
  | { name: 'MigrationFailed'; message: string }
  /** held with a named cause: SecretNotFound, RollbackBlocked, ImagePullFailed, MigrationPodFailed */
  | { name: 'MigrationBlocked'; reason: string; message: string }
  | { name: 'RolloutStuck'; message: string }
  | { name: 'Paused'; message: string }
  | { name: 'MigrationRunning'; message: string }
  | { name: 'RollingOut'; message: string }
  /** strategy Canary: the new template runs on part of the pods, or is being promoted */
  | { name: 'CanaryProgressing'; message: string }
  | { name: 'CanaryAborted'; message: string }
  /** strategy BlueGreen: the preview runs beside stable, or the Service is switched to it */
  | { name: 'BlueGreenProgressing'; message: string }
  | { name: 'BlueGreenAborted'; message: string }
  | { name: 'MigrationBrokeStable'; message: string }
  | { name: 'RolloutComplete'; message: string };

type Status = ConditionInput['status'];
const cond = (type: string, status: Status | boolean, reason: string, message: string): ConditionInput =>
  ({ type, status: typeof status === 'boolean' ? (status ? 'True' : 'False') : status, reason, message });

/** The progressive strategy a rollout belongs to: it names the reasons of its conditions. */
export type RolloutKind = 'Canary' | 'BlueGreen';

export const rolloutKind = (type: DefaultedSpec['strategy']['type']): RolloutKind => (type === 'BlueGreen' ? 'BlueGreen' : 'Canary');

export function phaseOf(app: FastApiApp, outcome: PassOutcome, kind: RolloutKind = 'Canary'): Phase {
  const { plan, observed } = outcome;
  const { migration, target } = plan;
  const deployment = observed.deployment;
  const running = deploymentImage(deployment);
  const rollout = rolloutState(deployment);
  if (migration.phase === 'failed') {
    return {
      name: 'MigrationFailed',
      message: `the migration Job for ${target} failed (${migration.reason}): ${migration.message}; the Deployment stays on ` +
        `${running ?? 'nothing'}; set a new tag or the retry annotation to try again`,
    };
  }
  if (migration.phase === 'blocked') return { name: 'MigrationBlocked', reason: migration.reason, message: migration.message };
  if (rollout.phase === 'stuck') return { name: 'RolloutStuck', message: `the rollout of ${running ?? target} is stuck: ${rollout.message}` };
  if (rollout.phase === 'paused') {
    return { name: 'Paused', message: `the Deployment is paused (kubectl rollout resume deployment/${deployment!.metadata.name}); ${target} is not rolled out` };
  }
  const canary = outcome.rollout;
  if (canary && canary.phase !== 'Promoted') {
    if (canary.phase === 'Halted') return { name: 'MigrationBrokeStable', message: canary.message };
    if (canary.phase === 'Aborted' || canary.phase === 'Aborting') return { name: `${kind}Aborted`, message: canary.message };
    return { name: `${kind}Progressing`, message: `${kind === 'Canary' ? 'canary' : 'blue-green'} ${canary.phase}: ${canary.message}` };
  }
  if (migration.phase === 'stopping') return { name: 'MigrationRunning', message: stoppingMessage(migration.jobs, target) };
  if (migration.phase === 'running' || migration.phase === 'needsJob') return { name: 'MigrationRunning', message: `the migration Job for ${target} is running` };
  if (rolledOut(app, deployment, plan.runImage)) {
    // A new template is out only once the replaced pods have exited: out of the endpoints they still
    // finish requests for the app's shutdown delay (the same template scaled down keeps Ready).
    const draining = templateHash(deployment) !== app.status?.templateHash ? observed.drainingPods ?? [] : [];
    if (draining.length === 0) return { name: 'RolloutComplete', message: `the Deployment runs ${plan.runImage} and its new ReplicaSet is available` };
    return { name: 'RollingOut', message: `${plan.runImage} runs on every replica; waiting for ${draining.length} pod(s) of the previous release to exit (${draining.join(', ')})` };
  }
  return { name: 'RollingOut', message: deployment ? `waiting for the Deployment to roll out ${target}` : 'the Deployment does not exist yet' };
}

const stoppingMessage = (jobs: string[], target: string): string =>
  `waiting for the superseded migration Job(s) ${jobs.join(', ')} to be deleted before migrating ${target}`;

function migratedCondition(plan: Plan, phase: Phase): ConditionInput {
  const { migration, target } = plan;
  switch (migration.phase) {
    case 'disabled': return cond('Migrated', true, 'MigrationDisabled', `migrations are disabled; ${target} runs without one`);
    case 'succeeded': return cond('Migrated', true, 'MigrationSucceeded', `the database is migrated for ${target}`);
    case 'failed': return cond('Migrated', false, 'MigrationFailed', phase.message);
    case 'stopping': return cond('Migrated', false, 'StoppingSupersededJob', stoppingMessage(migration.jobs, target));
    case 'blocked': return cond('Migrated', false, migration.reason, migration.message);
    default: return cond('Migrated', false, 'MigrationRunning', `the migration Job for ${target} is running`);
  }
}

/** What each phase means for Ready, Progressing and Degraded: one row per phase. */
const PHASE_CONDITIONS: Record<Phase['name'], { ready: Status; progressing: Status; degraded: boolean; readyReason?: string }> = {
  MigrationFailed: { ready: 'False', progressing: 'False', degraded: true },
  MigrationBlocked: { ready: 'False', progressing: 'False', degraded: true },
  RolloutStuck: { ready: 'False', progressing: 'False', degraded: true },
  Paused: { ready: 'Unknown', progressing: 'Unknown', degraded: false },
  MigrationRunning: { ready: 'False', progressing: 'True', degraded: false },
  RollingOut: { ready: 'False', progressing: 'True', degraded: false },
  RolloutComplete: { ready: 'True', progressing: 'False', degraded: false, readyReason: 'Available' },
  CanaryProgressing: { ready: 'False', progressing: 'True', degraded: false },
  CanaryAborted: { ready: 'False', progressing: 'False', degraded: true },
  BlueGreenProgressing: { ready: 'False', progressing: 'True', degraded: false },
  BlueGreenAborted: { ready: 'False', progressing: 'False', degraded: true },
  MigrationBrokeStable: { ready: 'False', progressing: 'False', degraded: true },
};

/**
 * Promoted and Aborted (strategies Canary and BlueGreen), for `kubectl wait --for=condition=Promoted` /
 * `Aborted`. The reasons name the strategy and the phase: CanaryPromoted, BlueGreenAborting, ...
 */
export function rolloutConditions(rollout: RolloutStatus | undefined, current: boolean, kind: RolloutKind = 'Canary'): ConditionInput[] {
  if (!rollout) return [];
  if (!current) {
    const message = `no ${kind === 'Canary' ? 'canary' : 'blue-green'} rollout of the current template; the last one (${rollout.image}) ended ${rollout.phase}`;
    return [cond('Promoted', false, `No${kind}Rollout`, message), cond('Aborted', false, `No${kind}Rollout`, message)];
  }
  const { phase, message } = rollout;
  return [
    cond('Promoted', phase === 'Promoted', `${kind}${phase}`, message),
    cond('Aborted', phase === 'Aborted' || phase === 'Halted', phase === 'Halted' ? 'MigrationBrokeStable' : `${kind}${phase}`, message),
  ];
}

/** Ready, Progressing and Degraded for a phase; an error that stopped the pass (e.g. NameConflict) overrides Ready and Degraded. */
function phaseConditions(phase: Phase, error: Error | undefined): [ConditionInput, ConditionInput, ConditionInput] {
  const { message } = phase;
  const name = phase.name === 'MigrationBlocked' ? phase.reason : phase.name;
  const row = PHASE_CONDITIONS[phase.name];
  const progressing = cond('Progressing', row.progressing, name, message);
  if (error) {
    const reason = error instanceof NameConflictError ? 'NameConflict' : 'ReconcileError';
    return [cond('Ready', false, reason, error.message), progressing, cond('Degraded', true, reason, error.message)];
  }
  return [
    cond('Ready', row.ready, row.readyReason ?? name, message),
    progressing,
    row.degraded ? cond('Degraded', true, name, message) : cond('Degraded', false, 'AsExpected', 'no failures'),
  ];
}

/** SecretWatched: whether a change of the database Secret will roll the pods. */
function secretCondition(spec: DefaultedSpec, namespace: string, secret: NonNullable<PassOutcome['secret']>): ConditionInput {
  const { name, key } = spec.databaseSecretRef;
  switch (secret) {
    case 'watched': return cond('SecretWatched', true, 'SecretWatched', `changes to Secret ${name} key ${key} roll the pods`);
    case 'denied': return cond('SecretWatched', false, 'SecretNotWatched',
      `the operator may not list Secrets in namespace ${namespace}: bind ClusterRole ${SECRET_READER_ROLE} to its ServiceAccount with a RoleBinding there, ` +
      `and label Secret ${name} ${WATCHED_SECRET_SELECTOR}; until then a change of it does not roll the pods`);
    default: return cond('SecretWatched', false, 'SecretNotWatched',
      `no Secret ${name} labelled ${WATCHED_SECRET_SELECTOR} with key ${key} in namespace ${namespace}: label it (kubectl label secret ${name} ` +
      `${WATCHED_SECRET_SELECTOR}) so that a change of it rolls the pods`);
  }
}

/** PostMigrated: the post-deploy (contract) phase, apart from Ready (the release is out either way). */
function postCondition(post: PostState | undefined): ConditionInput {
  switch (post?.phase) {
    case undefined: return cond('PostMigrated', 'Unknown', 'PostDeployMigrationPending', 'not evaluated in this pass');
    case 'notNeeded': return cond('PostMigrated', true, post.reason, post.message);
    case 'succeeded': return cond('PostMigrated', true, 'PostDeployMigrationSucceeded', 'the post-deploy migration succeeded');
    case 'pending': return cond('PostMigrated', false, 'PostDeployMigrationPending', post.message);
    case 'needsJob': return cond('PostMigrated', false, 'PostDeployMigrationRunning', 'the post-deploy migration Job is starting');
    case 'running': return cond('PostMigrated', false, 'PostDeployMigrationRunning', `the post-deploy migration Job ${post.job} is running`);
    case 'failed': return cond('PostMigrated', false, post.reason === 'PostDeployMigrationFailed' ? post.reason : 'PostDeployMigrationFailed', post.message);
  }
}

/**
 * status.history after this pass: the target first when its migration succeeded (a new Job's
 * result, or a revision back from history), served when its rollout completed, post-migrated
 * when its post-deploy Job succeeded (with the contract migrations it applied).
 */
function history(app: FastApiApp, plan: Plan, post: PostState | undefined, complete: boolean, now: string): Revision[] | undefined {
  const { migration, inputs } = plan;
  let list = app.status?.history;
  if (migration.phase !== 'succeeded' || inputs === undefined) {
    for (const job of plan.interruptedPost) list = update(list, job, (r) => (r.postMigrated ? r : { ...r, postInterrupted: true }));
    return list;
  }
  if (migration.from !== 'recorded' || !findRevision(list, inputs)) {
    const rev: Revision = { image: plan.target, inputs, migratedAt: findRevision(list, inputs)?.migratedAt ?? now };
    const digest = plan.digest ?? (migration.from === 'legacy' ? app.status?.imageDigest : undefined);
    if (digest) rev.digest = digest;
    if (plan.result?.head) rev.schemaHead = plan.result.head;
    if (plan.result?.pendingPost) rev.pendingPost = [...plan.result.pendingPost];
    list = putFirst(list, rev);
  }
  if (complete) list = markServed(list, inputs, now);
  if (post?.phase === 'succeeded' && post.from === 'job') {
    list = update(list, inputs, (r) => {
      const applied = post.result?.applied;
      const contract = applied && (r.pendingPost ? applied.filter((m) => r.pendingPost!.includes(m)) : applied);
      const { postInterrupted: _done, ...rest } = r;
      return { ...rest, postMigrated: true, ...(contract ? { contract } : {}) };
    });
  } else if (post?.phase === 'notNeeded' && post.reason === 'NoPostDeployMigrations') {
    // recorded as "none pending", so later passes keep saying NoPostDeployMigrations (see post-deploy.ts)
    list = update(list, inputs, (r) => (r.postMigrated ? r : { ...r, postMigrated: true, pendingPost: r.pendingPost ?? [] }));
  }
  // A post-deploy Job stopped while it ran may have committed its contract migrations: what it
  // applied is unknown, so a rollback past its release goes through a Job (whose exit 3 decides).
  for (const job of plan.interruptedPost) {
    list = update(list, job, (r) => (r.postMigrated ? r : { ...r, postInterrupted: true }));
  }
  return list;
}

const MONITORING_CONDITIONS: Record<Plan['monitoring'], ConditionInput> = {
  apply: cond('MonitoringAvailable', true, 'ServiceMonitorApplied', 'a ServiceMonitor scrapes the app'),
  unavailable: cond('MonitoringAvailable', false, 'CRDNotInstalled', 'the ServiceMonitor CRD (monitoring.coreos.com/v1) is not installed; the ServiceMonitor is created once it is'),
  disabled: cond('MonitoringAvailable', false, 'MonitoringDisabled', 'spec.monitoring.enabled is false'),
};

export function computeStatus(app: FastApiApp, spec: DefaultedSpec, outcome: PassOutcome, now: string): FastApiAppStatus {
  const { plan, observed, error, post } = outcome;
  const deployment = observed.deployment;
  const kind = rolloutKind(spec.strategy.type);
  const phase = phaseOf(app, outcome, kind);
  const [ready, progressing, phaseDegraded] = phaseConditions(phase, error);
  // a failed post-deploy migration is Degraded; the release it follows still serves (Ready, Available stay)
  const degraded = post?.phase === 'failed' && phaseDegraded.status === 'False' ? cond('Degraded', true, post.reason, post.message) : phaseDegraded;
  const serves = serving(deployment);
  const available = cond('Available', serves.status, serves.reason, serves.message);

  const monitoring = MONITORING_CONDITIONS[plan.monitoring];

  const paused = cond('Paused', false, 'Reconciling', 'changes to the spec are applied');

  const generation = app.metadata.generation;
  const status: FastApiAppStatus = {
    observedGeneration: generation,
    conditions: mergeConditions(app.status?.conditions,
      [ready, available, migratedCondition(plan, phase), postCondition(post), progressing, degraded, monitoring, paused,
        ...(outcome.secret ? [secretCondition(spec, app.metadata.namespace!, outcome.secret)] : []),
        ...rolloutConditions(outcome.rollout ?? outcome.lastRollout, outcome.rollout !== undefined, kind)], generation, now),
    selector: outcome.serving?.selector ?? selectorString(app),
    replicas: outcome.serving?.replicas ?? deployment?.status?.replicas ?? 0,
    readyReplicas: outcome.serving?.readyReplicas ?? deployment?.status?.readyReplicas ?? 0,
  };
  const running = deploymentImage(deployment);
  if (running) status.image = running;
  const succeeded = plan.migration.phase === 'succeeded';
  const migratedImage = succeeded ? plan.target : app.status?.migratedImage;
  if (migratedImage) status.migratedImage = migratedImage;
  const migratedInputs = succeeded ? plan.inputs : app.status?.migratedInputs;
  if (migratedInputs) status.migratedInputs = migratedInputs;
  const revisions = history(app, plan, post, phase.name === 'RolloutComplete', now);
  if (revisions?.length) status.history = revisions;
  // the digest belongs to migratedImage: replaced when a migration succeeds, dropped without migrations
  const digest = succeeded ? plan.digest : plan.migration.phase === 'disabled' ? undefined : app.status?.imageDigest;
  if (digest) status.imageDigest = digest;
  const hash = phase.name === 'RolloutComplete' ? templateHash(deployment) : app.status?.templateHash;
  if (hash) status.templateHash = hash;
  const rollout = outcome.rollout ?? outcome.lastRollout;
  if (rollout) status.rollout = rollout;
  return status;
}

/**
 * Status while spec.paused: as it was, plus Paused=True and Ready=Unknown for the current
 * generation, so `kubectl wait --for=condition=Ready` cannot succeed on a spec that was not rolled out.
 */
export function pausedStatus(app: FastApiApp, now: string): FastApiAppStatus {
  const generation = app.metadata.generation;
  const message = 'spec.paused is true: children are left as they are';
  return {
    ...app.status,
    observedGeneration: generation,
    conditions: mergeConditions(app.status?.conditions,
      [cond('Ready', 'Unknown', 'Paused', message), cond('Paused', true, 'Paused', message)], generation, now, true),
  };
}

/** Status equality that ignores key order. */
export const sameStatus = (a: FastApiAppStatus | undefined, b: FastApiAppStatus): boolean => canonicalJson(a ?? {}) === canonicalJson(b);
