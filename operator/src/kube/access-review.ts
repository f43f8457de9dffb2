// Who may read a non-resource URL (the operator's /metrics), asked of the API server as
// kubebuilder v4's metrics filters do: a TokenReview authenticates the bearer token, then a
// SubjectAccessReview asks whether that user may `get` the path. The operator needs create on
// both review kinds (cdk8s/charts/operator.ts); the scraper needs `nonResourceURLs: [path]` get.
import type { KubeClient } from './client';
import { SUBJECTACCESSREVIEWS, TOKENREVIEWS } from './resources';
import type { KubeObject } from './types';

export type AccessDecision = 'allowed' | 'unauthenticated' | 'forbidden';

interface TokenReview extends KubeObject {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}
interface SubjectAccessReview extends KubeObject { status?: { allowed?: boolean } }

// reviews have no name: they are never stored
const review = <T>(body: object): T => ({ metadata: {}, ...body } as T);

export async function reviewNonResourceAccess(client: KubeClient, token: string, path: string, verb = 'get'): Promise<AccessDecision> {
  const tr = await client.create<TokenReview>(TOKENREVIEWS, review({ spec: { token } }));
  const user = tr.status?.user;
  if (!tr.status?.authenticated || !user?.username) return 'unauthenticated';
  const sar = await client.create<SubjectAccessReview>(SUBJECTACCESSREVIEWS, review({
    spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, nonResourceAttributes: { path, verb } },
  }));
  return sar.status?.allowed ? 'allowed' : 'forbidden';
}
