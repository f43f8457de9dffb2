// The suite's Kubernetes client: server-side apply, reads, and what a person would look at when a
// scenario fails. Everything goes through the real API server of the test cluster.
import {
  CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type CoreV1Event, type KubernetesObject, type V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export const FIELD_MANAGER = 'e2e-test';

export type Obj = KubernetesObject & { spec?: any; status?: any; data?: Record<string, string> }; // eslint-disable-line @typescript-eslint/no-explicit-any

export class Kube {
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;

  constructor(readonly kc: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  async apply(objs: Obj | Obj[] | string, fieldManager = FIELD_MANAGER): Promise<Obj[]> {
    const list = typeof objs === 'string'
      ? parseAllDocuments(objs).map((d) => d.toJSON() as Obj | null).filter((o): o is Obj => o != null)
      : Array.isArray(objs) ? objs : [objs];
    const out: Obj[] = [];
    for (const o of list) out.push(await this.objects.patch(o, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply) as Obj);
    return out;
  }

  /** The object, or undefined when it does not exist. */
  async get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Obj | undefined> {
    try {
      return await this.objects.read({ apiVersion, kind, metadata: { name, namespace } }) as Obj;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<Obj[]> {
    const res = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
    return res.items as Obj[];
  }

  async delete(apiVersion: string, kind: string, namespace: string | undefined, name: string, gracePeriodSeconds?: number): Promise<void> {
    await this.objects.delete({ apiVersion, kind, metadata: { name, namespace } }, undefined, undefined, gracePeriodSeconds, undefined, 'Background');
  }

  pods(namespace: string, labelSelector?: string): Promise<V1Pod[]> {
    return this.core.listNamespacedPod({ namespace, labelSelector }).then((r) => r.items);
  }

  events(namespace: string): Promise<CoreV1Event[]> {
    return this.core.listNamespacedEvent({ namespace }).then((r) => r.items);
  }

  async logs(namespace: string, pod: string, container?: string): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({ namespace, name: pod, container, tailLines: 60 });
    } catch (err) {
      return `(no log: ${String(err)})`;
    }
  }
}

export const condition = (obj: Obj | undefined, type: string): { status: string; reason: string; message: string; observedGeneration?: number } | undefined =>
  obj?.status?.conditions?.find((c: { type: string }) => c.type === type);

/**
 * What a person would look at when a scenario fails: the FastApiApp's conditions, the namespace's
 * Events, the migration pods' and the operator pods' logs.
 */
export async function diagnose(kube: Kube, namespace: string, appName: string, operatorNamespace: string): Promise<string> {
  const parts: string[] = [];
  const safe = async (what: string, fn: () => Promise<string>) => {
    try {
      parts.push(`--- ${what}\n${await fn()}`);
    } catch (err) {
      parts.push(`--- ${what}: ${String(err)}`);
    }
  };
  await safe(`FastApiApp ${namespace}/${appName} status`, async () => JSON.stringify((await kube.get('platform.fastapiapp.io/v1alpha1', 'FastApiApp', namespace, appName))?.status, null, 2));
  await safe(`Deployment ${namespace}/${appName}`, async () => {
    const d = await kube.get('apps/v1', 'Deployment', namespace, appName);
    return JSON.stringify({ generation: d?.metadata?.generation, progressDeadlineSeconds: d?.spec?.progressDeadlineSeconds, image: d?.spec?.template?.spec?.containers?.[0]?.image, status: d?.status }, null, 2);
  });
  await safe(`Events in ${namespace}`, async () => (await kube.events(namespace))
    .map((e) => `${e.lastTimestamp ?? e.eventTime ?? ''} ${e.type} ${e.reason} ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message}`).join('\n'));
  await safe(`Pods in ${namespace}`, async () => (await kube.pods(namespace))
    .map((p) => `${p.metadata?.name} ${p.status?.phase} ready=${p.status?.conditions?.find((c) => c.type === 'Ready')?.status} image=${p.spec?.containers[0]?.image}`).join('\n'));
  for (const pod of await kube.pods(namespace, 'app.kubernetes.io/component=migration').catch(() => [])) {
    await safe(`log of migration pod ${pod.metadata?.name}`, () => kube.logs(namespace, pod.metadata!.name!));
  }
  for (const pod of await kube.pods(operatorNamespace).catch(() => [])) {
    await safe(`log of operator pod ${pod.metadata?.name}`, () => kube.logs(operatorNamespace, pod.metadata!.name!));
  }
  return parts.join('\n');
}

/** Runs a scenario's body; on failure prints what a person would look at (diagnose) under its name, then fails. */
export async function diagnosed<T>(kube: Kube, where: { namespace: string; app: string; operatorNamespace: string }, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    process.stderr.write(`\n===== ${name} failed: ${(err as Error).message}\n${await diagnose(kube, where.namespace, where.app, where.operatorNamespace)}\n`);
    throw err;
  }
}
