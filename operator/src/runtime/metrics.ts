// Prometheus metrics with controller-runtime's names (so its dashboards fit), on a registry of
// our own (several operators can run in one process, as the tests do).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControllerObserver } from './controller';
import type { QueueObserver } from './workqueue';

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
  readonly workqueueRetries = new Counter({
    name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'] as const, registers: [this.registry],
  });
  readonly restRequests = new Counter({
    name: 'rest_client_requests_total', help: 'Number of HTTP requests to the API server, by status code, method, verb and resource',
    labelNames: ['code', 'method', 'verb', 'resource'] as const, registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'leader_election_master_status', help: '1 while this replica holds the leader Lease',
    labelNames: ['name'] as const, registers: [this.registry],
  });
  readonly migrations = new Counter({
    name: 'fastapiapp_migrations_total', help: 'Migration Jobs by result (started, succeeded, failed)',
    labelNames: ['result'] as const, registers: [this.registry],
  });

  constructor(readyCounts: () => { ready: number; notReady: number }) {
    collectDefaultMetrics({ register: this.registry }); // process_resident_memory_bytes, event loop lag, ...
    new Gauge({
      name: 'fastapiapp_apps', help: 'FastApiApps in the watched namespaces by their Ready condition',
      labelNames: ['ready'] as const, registers: [this.registry],
      collect() {
        const { ready, notReady } = readyCounts();
        this.set({ ready: 'true' }, ready);
        this.set({ ready: 'false' }, notReady);
      },
    });
  }

  queueObserver(name: string): QueueObserver {
    // export zeros before the first event, so dashboards and alerts see the series
    this.workqueueDepth.set({ name }, 0);
    this.workqueueAdds.inc({ name }, 0);
    this.workqueueRetries.inc({ name }, 0);
    return {
      added: () => this.workqueueAdds.inc({ name }),
      depth: (n) => this.workqueueDepth.set({ name }, n),
      queued: (s) => this.workqueueQueueDuration.observe({ name }, s),
      retried: () => this.workqueueRetries.inc({ name }),
    };
  }

  controllerObserver(controller: string): ControllerObserver {
    this.reconcileErrors.inc({ controller }, 0); // export zero before the first error
    return {
      reconciled: (result, seconds) => {
        this.reconcileTotal.inc({ controller, result });
        if (result === 'error') this.reconcileErrors.inc({ controller });
        this.reconcileTime.observe({ controller }, seconds);
      },
    };
  }
}
