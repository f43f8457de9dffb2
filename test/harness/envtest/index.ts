/**
 * Test-side API of the envtest control plane (a real etcd + kube-apiserver, RBAC on, no
 * controllers) that jest's globalSetup starts once per run (./global.mjs).
 *
 *   loadKubeConfig()                     admin KubeConfig (system:masters)
 *   createTestNamespace(prefix)          fresh uniquely named namespace; one per test file
 *   applyYaml(docs, options)             server-side apply of YAML text or objects (force, field manager)
 *   kubeconfigForUser(user, groups)      KubeConfig with a client cert for that user/groups (RBAC tests)
 *   installCrdFromFile(file)             apply the CRDs in a YAML file and wait until Established
 *   waitForCrdEstablished(name)          wait for one CRD
 *
 * crds/*.yaml and the ServiceMonitor CRD (monitoring.coreos.com/v1) are installed before any
 * test runs. Nothing runs controllers: no garbage collection, namespaces stay Terminating when
 * deleted, Deployments get no Pods; tests write child status through the status subresource.
 * Env: KUBECONFIG_ENVTEST (admin kubeconfig), ENVTEST_CERT_DIR (CA), ENVTEST_SERVER (URL).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { issueCert } from './pki.cjs';
import { kubeconfigYaml, type Connection } from './kubeconfig.cjs';
import { installCrdFiles, waitForCrdsEstablished, type WaitOptions } from './crds.cjs';

export class EnvtestNotRunningError extends Error {
  constructor(variable: string) {
    super(`${variable} is not set: run tests through jest (its globalSetup starts the envtest control plane) `
      + 'or export the variables printed by `npm run envtest -- up`');
    this.name = 'EnvtestNotRunningError';
  }
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new EnvtestNotRunningError(name);
  return value;
}

/** Admin KubeConfig (user in group system:masters) of the test control plane. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(env('KUBECONFIG_ENVTEST'));
  return kc;
}

function serverUrl(): string {
  const server = loadKubeConfig().getCurrentCluster()?.server;
  if (!server) throw new EnvtestNotRunningError('KUBECONFIG_ENVTEST (cluster server)');
  return server;
}

function adminConnection(): Connection {
  const certDir = env('ENVTEST_CERT_DIR');
  return {
    server: serverUrl(),
    caFile: path.join(certDir, 'ca.crt'),
    certFile: path.join(certDir, 'admin.crt'),
    keyFile: path.join(certDir, 'admin.key'),
    user: 'envtest-admin',
  };
}

/** Lowercase DNS-1123 label: `<prefix>-<6 hex>`. */
function uniqueName(prefix: string): string {
  const base = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
  return `${base}-${randomBytes(3).toString('hex')}`;
}

/** Creates a uniquely named namespace and returns its name. */
export async function createTestNamespace(prefix: string, kc: KubeConfig = loadKubeConfig()): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(CoreV1Api).createNamespace({
    body: { metadata: { name, labels: { 'fastapiapp.test/envtest': 'true' } } },
  });
  return name;
}

export interface ApplyOptions {
  /** Field manager recorded in managedFields; default "envtest-test". */
  fieldManager?: string;
  /** Namespace for objects that name none (ignored by cluster-scoped kinds). */
  namespace?: string;
  /** Client to apply with; default the admin KubeConfig. */
  kubeConfig?: KubeConfig;
}

/** Server-side applies (force) every document; returns the objects as the server stored them. */
export async function applyYaml(docs: string | KubernetesObject[], options: ApplyOptions = {}): Promise<KubernetesObject[]> {
  const { fieldManager = 'envtest-test', namespace, kubeConfig = loadKubeConfig() } = options;
  const objects: KubernetesObject[] = typeof docs === 'string'
    ? parseAllDocuments(docs).map((d) => d.toJSON() as KubernetesObject | null).filter((o): o is KubernetesObject => o != null)
    : docs;
  const client = KubernetesObjectApi.makeApiClient(kubeConfig);
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    const spec: KubernetesObject = namespace && !obj.metadata?.namespace
      ? { ...obj, metadata: { ...obj.metadata, namespace } }
      : obj;
    applied.push(await client.patch(spec, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
  }
  return applied;
}

/**
 * KubeConfig authenticating as `user` in `groups` with a client cert signed by the control
 * plane's CA. It has no permissions until a (Cluster)RoleBinding grants some.
 */
export function kubeconfigForUser(user: string, groups: string[] = []): KubeConfig {
  const certDir = env('ENVTEST_CERT_DIR');
  const ca = { certFile: path.join(certDir, 'ca.crt'), keyFile: path.join(certDir, 'ca.key') };
  const dir = fs.mkdtempSync(path.join(certDir, 'user-'));
  const cert = issueCert(ca, dir, 'client', { user, groups });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml({ server: serverUrl(), caFile: ca.certFile, ...cert, user }));
  return kc;
}

/** Applies the CRDs in a YAML file and waits until each is Established; returns their names. */
export function installCrdFromFile(file: string, options?: WaitOptions): Promise<string[]> {
  return installCrdFiles(adminConnection(), [file], options);
}

/** Waits until the named CRD (e.g. "fastapiapps.example.com") is Established. */
export function waitForCrdEstablished(name: string, options?: WaitOptions): Promise<void> {
  return waitForCrdsEstablished(adminConnection(), [name], options);
}
