// "Rolled out to this tag", as the end-to-end suites and `npm run local` judge it.
import { waitFor } from '../../harness/wait';
import { condition, type Kube, type Obj } from './kube';

export const GROUP = 'platform.fastapiapp.io/v1alpha1';

export interface AppRef {
  namespace: string;
  name: string;
  /** spec.image: the repository, without a tag. */
  repo: string;
}

/**
 * The spec is fully rolled out to `tag`: Ready=True for the current generation (the operator's
 * word), and, checked independently, the Deployment runs that release (the tag, or the tag pinned
 * to the digest the migration ran) on every replica, with no old pod left. Resolves with the FastApiApp.
 *
 * With `digest` (images served by a registry), only `repo:tag@digest` counts, status.imageDigest must
 * be that digest and every pod's container must report having run it (imageID `repo@digest`).
 */
export function waitRolledOut(kube: Kube, ref: AppRef, tag: string, timeoutMs = 240_000, digest?: string): Promise<Obj> {
  const { namespace, name, repo } = ref;
  return waitFor(`FastApiApp ${namespace}/${name} Ready on ${tag}`, async () => {
    const app = await kube.get(GROUP, 'FastApiApp', namespace, name);
    const ready = condition(app, 'Ready');
    if (app?.spec?.tag !== tag || ready?.status !== 'True' || ready.observedGeneration !== app?.metadata?.generation) return undefined;
    const deployment = await kube.get('apps/v1', 'Deployment', namespace, name);
    const image: string = deployment?.spec?.template?.spec?.containers?.[0]?.image ?? '';
    const pinned: string | undefined = app?.status?.imageDigest;
    if (digest) {
      if (pinned !== digest || image !== `${repo}:${tag}@${digest}`) return undefined;
    // image:tag, pinned to image:tag@digest once the migration pod reported a registry digest
    } else if (image !== `${repo}:${tag}` && !(pinned && image === `${repo}:${tag}@${pinned}`)) return undefined;
    const st = deployment!.status ?? {};
    if (st.observedGeneration !== deployment!.metadata!.generation || st.updatedReplicas !== deployment!.spec.replicas
      || st.availableReplicas !== deployment!.spec.replicas || (st.replicas ?? 0) !== deployment!.spec.replicas) return undefined;
    const pods = (await kube.pods(namespace, `app.kubernetes.io/instance=${name},app.kubernetes.io/component=server`)).filter((p) => !p.metadata?.deletionTimestamp);
    const ran = (p: Obj) => !digest || p.status?.containerStatuses?.[0]?.imageID === `${repo}@${digest}`;
    return pods.length === deployment!.spec.replicas && pods.every((p) => p.spec?.containers[0]?.image === image && ran(p)) ? app : undefined;
  }, timeoutMs, 250);
}

/** How long client traffic stays on after the last replaced pod is gone: requests a stale endpoint would fail. */
export const DRAIN_TAIL_MS = 2000;

/**
 * Resolves DRAIN_TAIL_MS after no server pod of the app is exiting (none carries a
 * deletionTimestamp): the replaced pods drained and are gone. After waitRolledOut that holds at
 * once (Ready waits for them to exit). What a traffic run waits for before it stops.
 */
export async function waitDrained(kube: Kube, ref: Omit<AppRef, 'repo'>, timeoutMs = 120_000): Promise<void> {
  const { namespace, name } = ref;
  await waitFor(`no exiting server pod of ${namespace}/${name}`, async () => {
    const pods = await kube.pods(namespace, `app.kubernetes.io/instance=${name},app.kubernetes.io/component=server`);
    return pods.every((p) => !p.metadata?.deletionTimestamp) || undefined;
  }, timeoutMs, 250);
  await new Promise((r) => setTimeout(r, DRAIN_TAIL_MS));
}
