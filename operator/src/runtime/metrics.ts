// Prometheus metrics with controller-runtime's names (so its dashboards fit), on a registry of
// our own (several operators can run in one process, as the tests do).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Condition } from '../api/types';
import type { TransportObserver } from '../kube/transport';
import type { ControllerObserver } from './controller';
import type { QueueObserver, UnfinishedWork } from './workqueue';

/** What the per-app gauges read of a FastApiApp. */
export interface AppConditions { metadata?: { name?: string; namespace?: string }; status?: { conditions?: readonly Condition[]; rollout?: { phase: string } } }

/** Phases of status.rollout (strategies Canary and BlueGreen), exported at 0 and 1 per app. */
const ROLLOUT_PHASES = ['MigrationCheck', 'Progressing', 'Paused', 'Promoting', 'Promoted', 'Aborting', 'Aborted', 'Halted'] as const;

const COUNTED_CONDITIONS = ['Ready', 'Available', 'Degraded'] as const;
const STATUSES = ['True', 'False', 'Unknown'] as const;
/** Exported at zero too, so alerts on them see a series before the first failure. */
const DEGRADED_REASONS = ['MigrationFailed', 'RolloutStuck', 'NameConflict', 'ReconcileError', 'CanaryAborted', 'BlueGreenAborted', 'MigrationBrokeStable'] as const;

/** A condition's status; a missing condition (a new app not yet reconciled) counts as Unknown. */
const statusOf = (a: AppConditions, type: string): string => a.status?.conditions?.find((c) => c.type === type)?.status ?? 'Unknown';

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const, registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const, registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const, registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  readonly workqueueDepth = new Gauge({
    name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'] as const, registers: [this.registry],
  });
  readonly workqueueAdds = new Counter({
    name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'] as const, registers: [this.registry],
  });
  readonly workqueueQueueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const, registers: [this.registry],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
  });
  readonly workqueueWorkDuration = new Histogram({
    name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const, registers: [this.registry],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const, registers: [this.registry],
  });
  readonly workqueueRetries = new Counter({
    name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'] as const, registers: [this.registry],
  });
  readonly restRequests = new Counter({
    name: 'rest_client_requests_total', help: 'Number of HTTP requests to the API server, by status code, method, verb and resource',
    labelNames: ['code', 'method', 'verb', 'resource'] as const, registers: [this.registry],
  });
  readonly restRetries = new Counter({
    name: 'rest_client_request_retries_total', help: 'Number of request retries, by status code (0: no response) and verb',
    labelNames: ['code', 'verb'] as const, registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'leader_election_master_status', help: '1 while this replica holds the leader Lease',
    labelNames: ['name'] as const, registers: [this.registry],
  });
  readonly analyses = new Counter({
    name: 'fastapiapp_rollout_analyses_total', help: 'Rollout measurements by subject (canary, stable after the migration) and verdict (pass, fail, inconclusive)',
    labelNames: ['subject', 'verdict'] as const, registers: [this.registry],
  });
  readonly checks = new Counter({
    name: 'fastapiapp_rollout_checks_total', help: 'Checks of rollout measurements by subject, check (a built-in one, or a custom metric of spec.strategy.canary.analysis.metrics) and verdict',
    labelNames: ['subject', 'check', 'verdict'] as const, registers: [this.registry],
  });
  readonly migrations = new Counter({
    name: 'fastapiapp_migrations_total', help: 'Migration Jobs by result (started, succeeded, failed)',
    labelNames: ['result'] as const, registers: [this.registry],
  });

  /**
   * `apps()` lists the FastApiApps to count; it returns none while this replica is not the leader,
   * so per-app gauges summed over operator replicas do not double count.
   */
  constructor(apps: () => readonly AppConditions[]) {
    collectDefaultMetrics({ register: this.registry }); // process_resident_memory_bytes, event loop lag, ...
    new Gauge({
      name: 'fastapiapp_apps',
      help: 'FastApiApps in the watched namespaces by condition (Ready: fully rolled out; Available: pods serve; Degraded) and status; leader only',
      labelNames: ['condition', 'status'] as const, registers: [this.registry],
      collect() {
        this.reset();
        const list = apps();
        for (const condition of COUNTED_CONDITIONS) {
          for (const status of STATUSES) this.set({ condition, status }, 0);
          for (const a of list) this.inc({ condition, status: statusOf(a, condition) });
        }
      },
    });
    new Gauge({
      name: 'fastapiapp_rollout_phase',
      // app_namespace, not namespace: the scrape's own namespace label (the operator's) would rename it
      help: 'Phase of each FastApiApp\'s canary or blue-green rollout (1 for the current phase, 0 for the others); apps without one are absent; leader only',
      labelNames: ['app_namespace', 'app_name', 'phase'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const a of apps()) {
          const current = a.status?.rollout?.phase;
          if (!current || !a.metadata?.name) continue;
          for (const phase of ROLLOUT_PHASES) this.set({ app_namespace: a.metadata.namespace ?? '', app_name: a.metadata.name, phase }, phase === current ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'fastapiapp_apps_degraded',
      help: 'FastApiApps with Degraded=True by reason (MigrationFailed, RolloutStuck, ReconcileError, ...); leader only',
      labelNames: ['reason'] as const, registers: [this.registry],
      collect() {
        this.reset();
        for (const reason of DEGRADED_REASONS) this.set({ reason }, 0);
        for (const a of apps()) {
          const degraded = a.status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
          if (degraded) this.inc({ reason: degraded.reason });
        }
      },
    });
  }

  /**
   * The queue's observer; `unfinished` reads the queue's work in progress at scrape time
   * (client-go samples it every 500 ms; reading it when scraped is exact).
   */
  queueObserver(name: string, unfinished: () => UnfinishedWork): QueueObserver {
    // export zeros before the first event, so dashboards and alerts see the series
    this.workqueueDepth.set({ name }, 0);
    this.workqueueAdds.inc({ name }, 0);
    this.workqueueRetries.inc({ name }, 0);
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration. Large values indicate stuck threads',
      labelNames: ['name'] as const, registers: [this.registry],
      collect() { this.set({ name }, unfinished().totalSeconds); },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running',
      labelNames: ['name'] as const, registers: [this.registry],
      collect() { this.set({ name }, unfinished().longestSeconds); },
    });
    return {
      added: () => this.workqueueAdds.inc({ name }),
      depth: (n) => this.workqueueDepth.set({ name }, n),
      queued: (s) => this.workqueueQueueDuration.observe({ name }, s),
      worked: (s) => this.workqueueWorkDuration.observe({ name }, s),
      retried: () => this.workqueueRetries.inc({ name }),
    };
  }

  /** rest_client_* from every response and retry of the transport. */
  transportObserver(): TransportObserver {
    return {
      response: ({ verb, resource, method }, code) => this.restRequests.inc({ code: String(code), method, verb, resource }),
      retry: ({ verb }, code) => this.restRetries.inc({ code: String(code), verb }),
    };
  }

  controllerObserver(controller: string): ControllerObserver {
    this.reconcileErrors.inc({ controller }, 0); // export zero before the first error
    this.activeWorkers.set({ controller }, 0);
    return {
      active: (n) => this.activeWorkers.set({ controller }, n),
      reconciled: (result, seconds) => {
        this.reconcileTotal.inc({ controller, result });
        if (result === 'error') this.reconcileErrors.inc({ controller });
        this.reconcileTime.observe({ controller }, seconds);
      },
    };
  }
}
