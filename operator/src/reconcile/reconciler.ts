// reconcile(key): read the FastApiApp and its children from the caches, plan, apply only the
// children that differ, then write status once if it changed. Level-based: the same pass runs
// for creates, updates, drift and resyncs. Only writes reach the API server; reads are cached.
import type { Logger } from 'pino';
import type { FastApiApp, FastApiAppStatus } from '../api/types';
import {
  buildDeployment, buildDisruptionBudget, buildMigrationJob, buildNetworkPolicy, buildPrometheusRule, buildService, buildServiceMonitor, childName, inputsHashOf, wantsDisruptionBudget, wantsPrometheusRule, withDefaults,
  COMPONENT_LABEL, INSTANCE_LABEL, SERVER_COMPONENT, TEMPLATE_HASH_ANNOTATION, type DefaultedSpec, type SecretDigest,
} from '../desired/index';
import type { Condition } from '../api/types';
import type { KubeClient } from '../kube/client';
import { isTransient } from '../kube/errors';
import type { EventRecorder, EventType } from '../kube/events';
import { DEPLOYMENTS, FASTAPIAPPS, JOBS, NETWORKPOLICIES, PDBS, PROMETHEUSRULES, SERVICEMONITORS, SERVICES, type ResourceType } from '../kube/resources';
import type { Deployment, Job, KubeObject, NetworkPolicy, Pod, PodDisruptionBudget, Service, Unstructured } from '../kube/types';
import type { OperatorMetrics } from '../runtime/metrics';
import type { SecretAccess } from '../runtime/secret-watches';
import { SECRET_READER_ROLE, WATCHED_SECRET_SELECTOR } from '../desired/secret-hash';
import { findCondition, transitions } from './conditions';
import { NameConflictError } from './errors';
import { needsApply, withAppliedHash } from './diff';
import type { ReconcileResult } from '../runtime/controller';
import { rolledOut, type Observed } from './observed';
import { plan as makePlan, type Plan } from './plan';
import { postState } from './post-deploy';
import { canaryApplies, canaryPass, podCounts, type CanaryPass, type Measured } from './canary';
import type { PrometheusClient } from '../analysis/prometheus';
import { canaryName } from '../desired/canary-deployment';
import { previewName, previewSelector } from '../desired/preview';
import { activeOf, blueGreenPass, type BlueGreenPass } from './blue-green';
import { computeStatus, pausedStatus, sameStatus } from './status';
import { unwantedChildren } from './strategy-children';
import { servingPods } from './serving';

/** Read access to the informer caches, per resource (one informer set per watched namespace). */
export interface Caches {
  apps: CacheView<FastApiApp & KubeObject>;
  deployments: CacheView<Deployment>;
  services: CacheView<Service>;
  jobs: CacheView<Job> & { ownedBy(namespace: string, uid: string): Job[] };
  serviceMonitors: CacheView<Unstructured> & { isServed(namespace: string): boolean };
  prometheusRules: CacheView<Unstructured> & { isServed(namespace: string): boolean };
  disruptionBudgets: CacheView<PodDisruptionBudget>;
  networkPolicies: CacheView<NetworkPolicy>;
  /**
   * The objects of a child's kind NOT labelled as ours, as metadata only (Informer ownershipOnly):
   * with the child caches, whether a name is taken and by whom, without a GET per create.
   */
  names: { get(r: ResourceType, namespace: string, name: string): KubeObject | undefined };
  /** marked Secrets as hashes per key (no values); watch() starts a namespace's watch and waits for its first list */
  secrets: { get(namespace: string, name: string): SecretDigest | undefined; watch(namespace: string): Promise<SecretAccess> };
  /** the operator's pods: migration pods by owning Job; every pod, to find an app's terminating server pods */
  pods: { ownedBy(namespace: string, uid: string): Pod[]; list(): Pod[] };
}

/** Degraded reasons announced with a Warning Event of the same reason. */
const NAMED_FAILURES = new Set(['SecretNotFound', 'RollbackBlocked', 'ImagePullFailed', 'MigrationPodFailed', 'PostDeployMigrationFailed']);

/** The children as the caches hold them, whoever controls them. */
interface Children {
  deployment?: Deployment; service?: Service; serviceMonitor?: Unstructured; disruptionBudget?: PodDisruptionBudget; targetJob?: Job; targetPostJob?: Job;
}

const controlledBy = (o: KubeObject, app: FastApiApp): boolean =>
  o.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === app.metadata.uid) ?? false;

export interface CacheView<T extends KubeObject> {
  get(namespace: string, name: string): T | undefined;
  /** write-through of an object a write returned */
  remember(obj: T): void;
}

export interface ReconcilerOptions {
  /**
   * Transient API errors (429, 5xx, timeouts: see isTransient) are retried with backoff without
   * touching status or emitting Events until they have lasted this long; then ReconcileError.
   */
  transientErrorThresholdMs: number;
  /** base URL of the runbooks linked from the SLO alerts (default: the repository path) */
  runbookBaseUrl?: string;
  /** Prometheus of the release analysis (strategy Canary); undefined: every measurement is inconclusive */
  prometheus?: PrometheusClient;
}

export class Reconciler {
  /** key -> when its current run of transient failures began */
  private readonly transientSince = new Map<string, number>();
  /**
   * key -> conditions already announced (Events, migration metrics) whose status write has not
   * landed yet: a retried pass compares with these, so each transition is announced once.
   */
  private readonly announced = new Map<string, readonly Condition[]>();

  constructor(
    private readonly client: KubeClient,
    private readonly caches: Caches,
    private readonly events: EventRecorder,
    private readonly metrics: OperatorMetrics,
    private readonly log: Logger,
    private readonly options: ReconcilerOptions = { transientErrorThresholdMs: 60_000 },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const [namespace, name] = key.split('/') as [string, string];
    const app = this.caches.apps.get(namespace, name);
    // Gone or going: children carry controller owner references; the garbage collector removes them.
    if (!app || app.metadata.deletionTimestamp) {
      this.transientSince.delete(key);
      this.announced.delete(key);
      return;
    }
    const log = this.log.child({ fastapiapp: key, namespace, name, generation: app.metadata.generation });
    const now = this.now().toISOString();

    if (app.spec.paused) {
      await this.writeStatus(app, pausedStatus(app, now), log);
      return;
    }

    const spec = withDefaults(app.spec);
    // Before building the Jobs and the Deployment: both carry the Secret's hash once it is known.
    const secretAccess = await this.caches.secrets.watch(namespace);
    const secret = secretAccess === 'denied' ? 'denied' : this.secretHash(app, spec) === undefined ? 'unmarked' : 'watched';
    const secretHash = this.secretHash(app, spec);
    const desiredJob = buildMigrationJob(app, secretHash, 'pre');
    const desiredPostJob = buildMigrationJob(app, secretHash, 'post');
    const { observed, live } = this.observe(app, spec, desiredJob as Job, desiredPostJob as Job, secretAccess);
    const plan = makePlan(app, spec, observed);
    const after: Observed = { ...observed };
    // The children do not depend on each other: apply them concurrently.
    const steps: Array<Promise<void>> = [];
    // strategy BlueGreen: the pass decides the active Service's selector (applied below)
    let activeService = buildService(app) as Service;
    if (plan.monitoring === 'apply') {
      steps.push(this.ensure(app, SERVICEMONITORS, this.caches.serviceMonitors, buildServiceMonitor(app) as Unstructured, live.serviceMonitor, log)
        .then((sm) => { after.serviceMonitor = sm; }));
    } else if (plan.monitoring === 'disabled' && observed.serviceMonitor) {
      log.info({ child: `ServiceMonitor/${childName(app)}` }, 'monitoring disabled: deleting the ServiceMonitor');
      steps.push(this.client.delete(SERVICEMONITORS, namespace, childName(app)).then(() => { after.serviceMonitor = undefined; }));
    }
    steps.push(this.ensureSloRule(app, log));
    const ownBudget = live.disruptionBudget && controlledBy(live.disruptionBudget, app) ? live.disruptionBudget : undefined;
    if (wantsDisruptionBudget(app)) {
      steps.push(this.ensure(app, PDBS, this.caches.disruptionBudgets, buildDisruptionBudget(app) as PodDisruptionBudget, live.disruptionBudget, log)
        .then(() => undefined));
    } else if (ownBudget) {
      log.info({ child: `PodDisruptionBudget/${childName(app)}` }, 'one replica or disabled: deleting the PodDisruptionBudget');
      steps.push(this.client.delete(PDBS, namespace, childName(app)).then(() => undefined));
    }
    const policy = this.caches.networkPolicies.get(namespace, childName(app));
    if (spec.networkPolicy.enabled) {
      steps.push(this.ensure(app, NETWORKPOLICIES, this.caches.networkPolicies, buildNetworkPolicy(app) as NetworkPolicy, policy, log)
        .then(() => undefined));
    } else if (policy && controlledBy(policy, app)) {
      log.info({ child: `NetworkPolicy/${childName(app)}` }, 'networkPolicy disabled: deleting the NetworkPolicy');
      steps.push(this.client.delete(NETWORKPOLICIES, namespace, childName(app)).then(() => undefined));
    }
    for (const job of plan.deleteJobs) {
      // a running Job goes with Foreground propagation: it stays (and blocks the next Job) until its pods are gone
      const foreground = plan.foreground.includes(job);
      log.info({ child: `Job/${job}`, propagation: foreground ? 'Foreground' : 'Background' },
        foreground ? 'deleting a superseded migration Job that still runs' : 'deleting a migration Job beyond the history limit');
      steps.push(this.client.delete(JOBS, namespace, job, foreground ? 'Foreground' : 'Background').then(() => undefined));
    }
    if (plan.migration.phase === 'needsJob') {
      // Jobs are immutable: created once per set of inputs, never re-applied.
      steps.push(this.ensure(app, JOBS, this.caches.jobs, desiredJob as Job, live.targetJob, log).then(async (job) => {
        after.targetJob = job;
        this.metrics.migrations.inc({ result: 'started' });
        log.info({ job: job.metadata.name }, `created migration Job ${job.metadata.name} for ${plan.target}`);
      }));
    }
    let canary: CanaryPass | undefined;
    let blueGreen: BlueGreenPass | undefined;
    if (plan.runImage) {
      const desired = this.desiredDeployment(app, plan, secretHash, observed.deployment);
      const liveCanary = this.caches.deployments.get(namespace, canaryName(app));
      const livePreview = this.caches.deployments.get(namespace, previewName(app));
      const newHash = desired.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION];
      if (canaryApplies(app, spec, newHash, observed.deployment, !plan.holdTemplate, 'BlueGreen')) {
        blueGreen = await blueGreenPass({
          app, spec, desiredNew: desired, runImage: plan.runImage,
          live: { stable: observed.deployment!, ...(livePreview ? { preview: livePreview } : {}), ...(observed.service ? { service: observed.service } : {}) },
          ...(secretHash ? { secretHash } : {}), ...(this.options.prometheus ? { prometheus: this.options.prometheus } : {}), now: this.now(),
        });
        if (blueGreen.measured) this.count(blueGreen.measured);
        activeService = blueGreen.service;
        steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, blueGreen.stable, live.deployment, log).then((d) => { after.deployment = d; }));
        if (blueGreen.preview) steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, blueGreen.preview, livePreview, log).then(() => undefined));
        if (blueGreen.previewService) {
          steps.push(this.ensure(app, SERVICES, this.caches.services, blueGreen.previewService, this.caches.services.get(namespace, previewName(app)), log)
            .then(() => undefined));
        }
      } else if (canaryApplies(app, spec, newHash, observed.deployment, !plan.holdTemplate)) {
        canary = await canaryPass({
          app, spec, desiredNew: desired, runImage: plan.runImage, live: { stable: observed.deployment!, ...(liveCanary ? { canary: liveCanary } : {}) },
          ...(secretHash ? { secretHash } : {}), ...(this.options.prometheus ? { prometheus: this.options.prometheus } : {}), now: this.now(),
        });
        if (canary.measured) this.count(canary.measured);
        steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, canary.stable, live.deployment, log).then((d) => { after.deployment = d; }));
        if (canary.canary) steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, canary.canary, liveCanary, log).then(() => undefined));
      } else {
        steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, desired, live.deployment, log)
          .then((d) => { after.deployment = d; }));
      }
      // a canary left by a rollout that no longer applies (strategy changed, also mid-rollout to BlueGreen; spec set
      // back; a newer release migrating): scaled to zero once stable serves at full size, as an abort does
      if (!canary && liveCanary && controlledBy(liveCanary, app) && (liveCanary.spec?.replicas ?? 0) > 0 && podCounts(observed.deployment).ready >= spec.replicas) {
        log.info({ child: `Deployment/${canaryName(app)}` }, 'no canary rollout applies: scaling the canary to zero');
        steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, { ...liveCanary, spec: { ...liveCanary.spec!, replicas: 0 } }, liveCanary, log)
          .then(() => undefined));
      }
      // the same for a preview left behind (also by a switch to Canary mid-rollout), once the live Service selects stable
      if (!blueGreen && livePreview && controlledBy(livePreview, app) && (livePreview.spec?.replicas ?? 0) > 0 && podCounts(observed.deployment).ready >= spec.replicas &&
        activeOf(observed.service, previewSelector(app)) === 'stable') {
        log.info({ child: `Deployment/${previewName(app)}` }, 'no blue-green rollout applies: scaling the preview to zero');
        steps.push(this.ensure(app, DEPLOYMENTS, this.caches.deployments, { ...livePreview, spec: { ...livePreview.spec!, replicas: 0 } }, livePreview, log)
          .then(() => undefined));
      }
    }
    steps.push(this.ensure(app, SERVICES, this.caches.services, activeService, live.service, log).then((sv) => { after.service = sv; }));
    // a strategy's children the spec no longer wants (owner references clean up only with the app)
    const strategyChildren = {
      canary: this.caches.deployments.get(namespace, canaryName(app)), preview: this.caches.deployments.get(namespace, previewName(app)),
      previewService: this.caches.services.get(namespace, previewName(app)),
    };
    for (const u of unwantedChildren(app, spec, strategyChildren, (o) => controlledBy(o, app))) {
      log.info({ child: `${u.resource.kind}/${u.name}` }, `deleting the ${u.resource.kind} ${u.name}: ${u.why}`);
      steps.push(this.client.delete(u.resource, namespace, u.name).then(() => undefined));
    }
    const settled = await Promise.allSettled(steps);
    const progressive = canary?.decision ?? blueGreen?.decision;
    for (const e of progressive && settled.every((r) => r.status === 'fulfilled') ? progressive.events : []) await this.event(app, e.type, e.reason, e.message, log);
    // a canary or preview not yet promoted is not a rollout of the spec: no post-deploy (contract) migration
    const complete = progressive && progressive.rollout.phase !== 'Promoted' ? false : rolledOut(app, after.deployment, plan.runImage);
    // The post-deploy Job, once the Deployment as this pass left it is fully rolled out.
    const post = settled.every((r) => r.status === 'fulfilled')
      ? postState(app, spec, plan, after, complete, this.now()) : undefined;
    if (post?.phase === 'needsJob') {
      try {
        after.targetPostJob = await this.ensure(app, JOBS, this.caches.jobs, desiredPostJob as Job, live.targetPostJob, log);
        this.metrics.migrations.inc({ result: 'started' });
        log.info({ job: after.targetPostJob.metadata.name }, `created post-deploy migration Job ${after.targetPostJob.metadata.name} for ${plan.target}`);
      } catch (err) {
        settled.push({ status: 'rejected', reason: err });
      }
    }
    const failures = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const error: Error | undefined = failures[0]?.reason as Error | undefined;
    for (const extra of failures.slice(1)) log.error({ err: extra.reason as Error }, 'another child failed to apply in the same pass');
    if (error && this.stillQuiet(key, error, failures.map((f) => f.reason), log)) throw error; // retried with backoff; status untouched
    if (!error) this.transientSince.delete(key);

    const own = <T extends KubeObject>(o: T | undefined): T | undefined => (o && controlledBy(o, app) ? o : undefined);
    const serving = servingPods(app, { canary: own(strategyChildren.canary), preview: own(strategyChildren.preview), ...(after.deployment ? { stable: after.deployment } : {}), ...(after.service ? { service: after.service } : {}) });
    const base = { plan, observed: after, error, secret, serving, ...(progressive ? { rollout: progressive.rollout } : {}),
      ...(spec.strategy.type !== 'RollingUpdate' && !progressive && app.status?.rollout ? { lastRollout: app.status.rollout } : {}) } as const;
    const outcome = post ? { ...base, post: post.phase === 'needsJob' ? postState(app, spec, plan, after, true, this.now()) : post } : base;
    const status = computeStatus(app, spec, outcome, now);
    await this.announce(app, this.announced.get(key) ?? app.status?.conditions, status, log);
    this.announced.set(key, status.conditions ?? []);
    try {
      await this.writeStatus(app, status, log);
      this.announced.delete(key); // the cache holds what was announced now
    } catch (statusErr) {
      if (!error) throw statusErr;
      log.error({ err: statusErr }, 'could not record the failure in status');
    }
    if (error) throw error;
    // waiting out the post-deploy bake time: nothing else would wake this app
    const waits = [post?.phase === 'pending' ? post.afterMs : undefined, progressive?.requeueAfterMs].filter((t): t is number => t !== undefined);
    if (waits.length > 0) return { requeueAfterMs: Math.min(...waits) };
  }

  /**
   * The Deployment to apply. Until the target's inputs are migrated, the live pod template stays
   * (with the image last rolled out): env, Secret reference and value must not reach pods before
   * the migration for them succeeded (a Secret switched to an empty database would serve errors).
   */
  private desiredDeployment(app: FastApiApp, plan: Plan, secretHash: string | undefined, live: Deployment | undefined): Deployment {
    const desired = buildDeployment(app, plan.runImage!, secretHash) as Deployment;
    if (!plan.holdTemplate || !live?.spec?.template) return desired;
    const template = structuredClone(live.spec.template);
    const container = template.spec?.containers?.[0];
    if (container) container.image = plan.runImage!;
    const hash = live.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION];
    return {
      ...desired,
      metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, ...(hash ? { [TEMPLATE_HASH_ANNOTATION]: hash } : {}) } },
      spec: { ...desired.spec!, template },
    };
  }

  /**
   * The PrometheusRule of spec.slo, when its CRD is served; deleted (if ours) when spec.slo or
   * monitoring is turned off. Nothing else depends on it, so status does not track it.
   */
  private async ensureSloRule(app: FastApiApp & KubeObject, log: Logger): Promise<void> {
    const { namespace } = app.metadata;
    if (!this.caches.prometheusRules.isServed(namespace)) return;
    const live = this.caches.prometheusRules.get(namespace, childName(app));
    if (wantsPrometheusRule(app)) {
      await this.ensure(app, PROMETHEUSRULES, this.caches.prometheusRules, buildPrometheusRule(app, this.options.runbookBaseUrl) as Unstructured, live, log);
    } else if (live && controlledBy(live, app)) {
      log.info({ child: `PrometheusRule/${childName(app)}` }, 'spec.slo or monitoring off: deleting the PrometheusRule');
      await this.client.delete(PROMETHEUSRULES, namespace, childName(app));
    }
  }

  /**
   * Whether a failed pass should leave status and Events alone: every error is transient and the
   * run of transient failures of this key is younger than the threshold.
   */
  private stillQuiet(key: string, error: Error, all: unknown[], log: Logger): boolean {
    if (!all.every(isTransient)) {
      this.transientSince.delete(key);
      return false;
    }
    const now = this.now().getTime();
    const since = this.transientSince.get(key) ?? now;
    this.transientSince.set(key, since);
    const quiet = now - since < this.options.transientErrorThresholdMs;
    if (quiet) log.info({ err: error, failingForMs: now - since }, 'transient API error; retrying with backoff (status unchanged)');
    return quiet;
  }

  /**
   * The children as cached: `live` as they are (possibly someone else's object with our child's
   * name), `observed` only those this app controls (what status is computed from).
   */
  /** Hash of the database Secret key the app reads, when the Secret and the key exist. */
  private secretHash(app: FastApiApp, spec: DefaultedSpec): string | undefined {
    return this.caches.secrets.get(app.metadata.namespace, spec.databaseSecretRef.name)?.keyHashes[spec.databaseSecretRef.key];
  }

  private observe(app: FastApiApp & KubeObject, spec: DefaultedSpec, preJob: Job, postJob: Job, access: SecretAccess): { observed: Observed; live: Children } {
    const ns = app.metadata.namespace;
    const name = childName(app);
    const live: Children = {
      deployment: this.caches.deployments.get(ns, name),
      service: this.caches.services.get(ns, name),
      serviceMonitor: this.caches.serviceMonitors.get(ns, name),
      disruptionBudget: this.caches.disruptionBudgets.get(ns, name),
      targetJob: this.caches.jobs.get(ns, preJob.metadata.name),
      targetPostJob: this.caches.jobs.get(ns, postJob.metadata.name),
    };
    const owned = <T extends KubeObject>(o: T | undefined): T | undefined => (o && controlledBy(o, app) ? o : undefined);
    const jobs = this.caches.jobs.ownedBy(ns, app.metadata.uid);
    const leaving = this.caches.pods.list().filter((p) => p.metadata.namespace === ns && p.metadata.deletionTimestamp
      && p.metadata.labels?.[INSTANCE_LABEL] === app.metadata.name && p.metadata.labels?.[COMPONENT_LABEL] === SERVER_COMPONENT);
    const observed: Observed = {
      deployment: owned(live.deployment),
      service: owned(live.service),
      serviceMonitor: owned(live.serviceMonitor),
      targetJob: owned(live.targetJob),
      targetPostJob: owned(live.targetPostJob),
      jobs,
      pods: jobs.flatMap((j) => (j.metadata.uid ? this.caches.pods.ownedBy(ns, j.metadata.uid) : [])),
      leavingPods: leaving.map((p) => p.metadata.name),
      drainingPods: leaving.filter((p) => Date.parse(p.metadata.deletionTimestamp!) > this.now().getTime()).map((p) => p.metadata.name),
      monitoringServed: this.caches.serviceMonitors.isServed(ns),
    };
    const problem = this.secretProblem(app, spec, access);
    if (problem) observed.secretProblem = problem;
    else observed.inputs = { pre: inputsHashOf(preJob)!, post: inputsHashOf(postJob)! };
    return { live, observed };
  }

  /**
   * A database Secret or key the operator cannot see, named: no Job or pod starts without it (its
   * value's hash is an input of the migration). The operator sees only Secrets labelled
   * WATCHED_SECRET_SELECTOR in namespaces where it may list them, so the message says how to fix either.
   */
  private secretProblem(app: FastApiApp, spec: DefaultedSpec, access: SecretAccess): string | undefined {
    const { name, key } = spec.databaseSecretRef;
    const ns = app.metadata.namespace;
    if (access === 'denied') {
      return `the operator may not list Secrets in namespace ${ns} to find Secret ${name} (spec.databaseSecretRef): bind ClusterRole ` +
        `${SECRET_READER_ROLE} to its ServiceAccount with a RoleBinding there; nothing runs until it can`;
    }
    const secret = this.caches.secrets.get(ns, name);
    if (!secret) {
      return `Secret ${ns}/${name} (spec.databaseSecretRef) not found among the Secrets labelled ${WATCHED_SECRET_SELECTOR}: create it, or ` +
        `label it (kubectl label secret ${name} ${WATCHED_SECRET_SELECTOR}); nothing runs until then`;
    }
    if (!(key in secret.keyHashes)) return `Secret ${ns}/${name} has no key ${key} (spec.databaseSecretRef.key); nothing runs until it does`;
    return undefined;
  }

  /**
   * Applies desired when it differs from actual (or actual is missing); returns the live object.
   * The child caches only hold objects labelled as ours, so before creating, the metadata-only
   * cache of the others (caches.names) says whether the name is free: an object the app does not
   * control is never adopted (NameConflictError). No request is made to find out (a GET per
   * create was a third of the requests per new app).
   */
  private async ensure<T extends KubeObject>(app: FastApiApp & KubeObject, r: ResourceType, cache: CacheView<T>, desired: T,
    cached: T | undefined, log: Logger): Promise<T> {
    const actual = cached ?? this.caches.names.get(r, desired.metadata.namespace!, desired.metadata.name) as T | undefined;
    if (actual && !controlledBy(actual, app)) {
      const owner = actual.metadata.ownerReferences?.find((o) => o.controller);
      throw new NameConflictError(r.kind, desired.metadata.name, owner && `${owner.kind}/${owner.name}`);
    }
    const want = withAppliedHash(desired);
    if (!needsApply(want, actual)) return actual as T;
    log.info({ child: `${r.kind}/${desired.metadata.name}`, action: actual ? 'update' : 'create' }, `applying ${r.kind}`);
    const applied = await this.client.apply(r, want);
    cache.remember(applied);
    return applied;
  }

  private async writeStatus(app: FastApiApp & KubeObject, status: FastApiAppStatus, log: Logger): Promise<void> {
    if (sameStatus(app.status, status)) return;
    const updated = await this.client.applyStatus<FastApiApp & KubeObject>(FASTAPIAPPS, app.metadata.namespace, app.metadata.name, status);
    this.caches.apps.remember(updated);
    const ready = findCondition(status.conditions, 'Ready');
    log.debug({ ready: ready?.status, reason: ready?.reason }, 'status updated');
  }

  /**
   * Events and migration metrics on condition transitions (not on every pass). An Event is a write
   * to the API server, so there is one per release outcome, not per step: a Warning for each
   * failure; RolloutComplete (saying how the database was migrated) and PostDeployMigrationSucceeded
   * when those phases end well. Steps in between (a Job created, the pre-deploy migration done)
   * are in status (Migrated, PostMigrated, Progressing) and in the operator's log.
   */
  private async announce(app: FastApiApp & KubeObject, before: readonly Condition[] | undefined, status: FastApiAppStatus, log: Logger): Promise<void> {
    for (const c of transitions(before, status.conditions ?? [])) {
      if (c.type === 'Degraded' && c.status === 'True' && NAMED_FAILURES.has(c.reason)) {
        log.warn({ reason: c.reason }, c.message);
        await this.event(app, 'Warning', c.reason, c.message, log);
      } else if (c.type === 'PostMigrated' && c.reason === 'PostDeployMigrationSucceeded') {
        log.info(c.message);
        await this.event(app, 'Normal', c.reason, c.message, log);
      } else if (c.type === 'Migrated' && c.reason === 'MigrationFailed') {
        this.metrics.migrations.inc({ result: 'failed' });
        log.warn({ reason: c.reason }, c.message);
        await this.event(app, 'Warning', 'MigrationFailed', c.message, log);
      } else if (c.type === 'Migrated' && c.reason === 'MigrationSucceeded') {
        // no Event of its own: the release's RolloutComplete says it (see below)
        this.metrics.migrations.inc({ result: 'succeeded' });
        log.info(c.message);
      } else if (c.type === 'Degraded' && c.reason === 'RolloutStuck') {
        log.warn(c.message);
        await this.event(app, 'Warning', 'RolloutStuck', c.message, log);
      } else if (c.type === 'Degraded' && c.reason === 'NameConflict') {
        log.warn(c.message);
        await this.event(app, 'Warning', 'NameConflict', c.message, log);
      } else if (c.type === 'Degraded' && c.reason === 'ReconcileError') {
        await this.event(app, 'Warning', 'ReconcileError', c.message, log);
      } else if (c.type === 'MonitoringAvailable' && c.reason === 'CRDNotInstalled') {
        log.warn(c.message);
        await this.event(app, 'Warning', 'MonitoringUnavailable', c.message, log);
      } else if (c.type === 'Ready' && c.status === 'True') {
        const migrated = findCondition(status.conditions, 'Migrated');
        const message = migrated?.status === 'True' ? `${c.message}; ${migrated.message}` : c.message;
        log.info(message);
        await this.event(app, 'Normal', 'RolloutComplete', message, log);
      }
    }
  }

  /** A measurement in the analysis counter, and each of its checks in the check counter. */
  private count(m: Measured): void {
    this.metrics.analyses.inc({ subject: m.subject, verdict: m.verdict });
    for (const c of m.checks) this.metrics.checks.inc({ subject: m.subject, check: c.name, verdict: c.verdict });
  }

  /** Events are best effort (as client-go's recorder): a failure is logged, never fatal. */
  private async event(app: FastApiApp & KubeObject, type: EventType, reason: string, message: string, log: Logger): Promise<void> {
    try {
      await this.events.record(app, type, reason, message);
    } catch (err) {
      log.warn({ err, reason }, 'could not record an Event');
    }
  }
}
