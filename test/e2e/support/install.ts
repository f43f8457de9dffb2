// What every end-to-end suite sets up on the test cluster the way a user would: the FastApiApp CRD
// and the operator from the repo's generated manifests, and a Postgres the pods reach on the bridge.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { parseAllDocuments } from 'yaml';
import type { ClusterInfo } from '../../harness/cluster';
import { installCrdFiles } from '../../harness/envtest/crds.cjs';
import { PostgresCluster } from '../../harness/postgres/cluster';
import { waitFor } from '../../harness/wait';
import type { Kube, Obj } from './kube';

export const REPO = path.resolve(__dirname, '../../..');
export const OPERATOR_NS = 'fastapiapp-system';

/** The documents of a YAML file in the repository (or anywhere, given an absolute path). */
export const yamlDocuments = (file: string): Obj[] =>
  parseAllDocuments(fs.readFileSync(path.resolve(REPO, file), 'utf8')).map((d) => d.toJSON() as Obj | null).filter((o): o is Obj => o != null);

/**
 * CRDs applied as raw YAML with the cluster's admin certificate: client-node's typed serialisation
 * drops `x-kubernetes-*` schema keys.
 */
export async function installCrds(info: ClusterInfo, files: string[]): Promise<void> {
  const pki = path.join(info.dir, 'pki');
  await installCrdFiles({ server: info.server, caFile: `${pki}/ca.crt`, certFile: `${pki}/admin.crt`, keyFile: `${pki}/admin.key`, user: 'admin' },
    files.map((f) => path.resolve(REPO, f)), { timeoutMs: 60_000 });
}

/**
 * The FastApiApp CRD, then the operator exactly as cdk8s/dist/operator.yaml ships it, only its image
 * set (and `env` added: its configuration, docs/operator/design.md); waits for 2 Ready pods.
 */
export async function installOperator(kube: Kube, info: ClusterInfo, image: string, env: Record<string, string> = {}): Promise<void> {
  await installCrds(info, ['crds/fastapiapp.yaml']);
  const install = yamlDocuments('cdk8s/dist/operator.yaml');
  for (const o of install) {
    if (o.kind !== 'Deployment') continue;
    for (const c of o.spec.template.spec.containers) {
      c.image = image;
      c.env = [...(c.env ?? []), ...Object.entries(env).map(([name, value]) => ({ name, value }))];
    }
  }
  await kube.apply(install);
  await waitFor('2 Ready operator pods', async () => {
    const pods = await kube.pods(OPERATOR_NS, 'app.kubernetes.io/name=fastapiapp-operator');
    return pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2 || undefined;
  }, 120_000);
}

/**
 * What a user adds to an app namespace so the operator watches its database Secret (docs/operator/rbac.md):
 * the RoleBinding crds/examples/secret.yaml ships, in `namespace`. The Secret itself carries
 * platform.fastapiapp.io/secret=true (markedSecretLabels).
 */
export const secretReaderBinding = (namespace: string): Obj => {
  const binding = yamlDocuments('crds/examples/secret.yaml').find((o) => o.kind === 'RoleBinding')!;
  return { ...binding, metadata: { ...binding.metadata, namespace } };
};
export const markedSecretLabels = { 'platform.fastapiapp.io/secret': 'true' };

/** A throwaway Postgres listening on the bridge (pods reach it by IP, no cluster DNS) with these databases. */
export async function startBridgePostgres(info: ClusterInfo, databases: string[]): Promise<PostgresCluster> {
  const pg = await PostgresCluster.create({ extraListenAddresses: [info.bridgeIp], allowNetworks: [info.podSubnet] });
  const admin = new Client({ connectionString: pg.url });
  await admin.connect();
  try {
    for (const db of databases) await admin.query(`create database ${db}`);
  } finally {
    await admin.end();
  }
  return pg;
}
