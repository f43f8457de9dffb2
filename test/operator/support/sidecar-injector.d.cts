import type { KubeClient } from '../../../operator/src/kube/client';
import type { Deployment } from '../../../operator/src/kube/types';

export function injectSidecar(client: Pick<KubeClient, 'transport'>, deployment: Deployment): Promise<unknown>;
