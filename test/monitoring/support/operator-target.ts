// The real operator, in-process against the envtest API server, with two FastApiApps whose
// migration Jobs the test finishes (one succeeds and rolls out, one fails), so that every
// operator series has data: reconciles, queue, migrations by result, apps by readiness.
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type V1Deployment, type V1Job } from '@kubernetes/client-node';
import { GROUP, KIND, PLURAL, VERSION, API_VERSION } from '../../../operator/src/api/types';
import { loadConfig } from '../../../operator/src/config';
import { WATCHED_SECRET_LABEL } from '../../../operator/src/desired';
import { startOperator, type OperatorHandle } from '../../../operator/src/operator';
import { createTestNamespace, loadKubeConfig } from '../../harness/envtest';
import { waitFor } from '../../harness/wait';

export interface OperatorTarget {
  address: string;
  namespace: string;
  operator: OperatorHandle;
  stop(): Promise<void>;
}

const INSTANCE = 'app.kubernetes.io/instance';

export async function startOperatorTarget(): Promise<OperatorTarget> {
  const kc = loadKubeConfig();
  const namespace = await createTestNamespace('monitoring');
  const config = loadConfig({ WATCH_NAMESPACES: namespace, LEADER_ELECT: 'false', METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'silent' });
  const operator = await startOperator({ config, kubeConfig: kc });
  return { address: operator.metricsAddress, namespace, operator, stop: () => operator.stop() };
}

/** Creates two FastApiApps and drives them: `good` migrates and becomes Ready, `bad`'s migration fails. */
export async function driveFastApiApps(namespace: string): Promise<void> {
  const kc = loadKubeConfig();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const batch = kc.makeApiClient(BatchV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  // the database Secret both apps reference, labelled so the operator sees it (else SecretNotFound: nothing runs)
  await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body: {
    metadata: { name: 'items-db', labels: { [WATCHED_SECRET_LABEL]: 'true' } },
    stringData: { DATABASE_URL: 'postgres://app:pw@db/items' },
  } });
  for (const name of ['good', 'bad']) {
    await custom.createNamespacedCustomObject({
      group: GROUP, version: VERSION, namespace, plural: PLURAL,
      body: { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace },
        spec: { image: 'registry.example/items-app', tag: '1.0.0', databaseSecretRef: { name: 'items-db' } } },
    });
  }
  const jobOf = (name: string) => waitFor(`the migration Job of ${name}`, async () => {
    const list = await batch.listNamespacedJob({ namespace, labelSelector: `${INSTANCE}=${name}` });
    return list.items[0];
  }, 30000);
  const now = new Date();
  const good: V1Job = await jobOf('good');
  good.status = { startTime: now, completionTime: now, succeeded: 1,
    conditions: [
      { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: now, lastTransitionTime: now },
      { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
    ] };
  await batch.replaceNamespacedJobStatus({ name: good.metadata!.name!, namespace, body: good });
  const bad: V1Job = await jobOf('bad');
  bad.status = { startTime: now, failed: 1,
    conditions: [
      { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now },
      { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: now, lastTransitionTime: now },
    ] };
  await batch.replaceNamespacedJobStatus({ name: bad.metadata!.name!, namespace, body: bad });

  // The Deployment appears once the good migration succeeded; report it rolled out.
  const deployment: V1Deployment = await waitFor('the Deployment of good', async () =>
    (await apps.listNamespacedDeployment({ namespace, labelSelector: `${INSTANCE}=good` })).items[0], 30000);
  const replicas = deployment.spec?.replicas ?? 1;
  // as the Deployment controller reports a finished rollout: the operator reads its conditions
  deployment.status = { observedGeneration: deployment.metadata?.generation, replicas, updatedReplicas: replicas,
    readyReplicas: replicas, availableReplicas: replicas,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "good-1" has successfully progressed.', lastUpdateTime: now, lastTransitionTime: now },
    ] };
  await apps.replaceNamespacedDeploymentStatus({ name: 'good', namespace, body: deployment });
  await waitFor('good to be Ready', async () => {
    const app = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name: 'good' })) as
      { status?: { conditions?: { type: string; status: string }[] } };
    return app.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
  }, 30000);
}

/**
 * Changes `bad`'s replicas (a spec change: the operator reconciles it; `good` stays Ready), so
 * the operator keeps reconciling while Prometheus scrapes.
 */
export async function touchFastApiApps(namespace: string, tick: number): Promise<void> {
  const custom = loadKubeConfig().makeApiClient(CustomObjectsApi);
  await custom.patchNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace, plural: PLURAL, name: 'bad',
    body: [{ op: 'add', path: '/spec/replicas', value: 1 + (tick % 2) }],
  });
}
