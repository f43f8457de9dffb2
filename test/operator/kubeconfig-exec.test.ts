// Item 14 (exec): a kubeconfig user's exec credential plugin (as `aws eks get-token`) authenticates
// the operator, through @kubernetes/client-node's ExecAuth module alone, and expiring credentials,
// bearer tokens and client certificates alike, are refreshed. A real plugin (./support/exec-plugin.mjs,
// counting its runs) against a kube-apiserver of its own that knows the plugin's tokens
// (--token-auth-file) and trusts certificates of the shared CA; its audit log tells which
// credential each request carried and when it arrived.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { createTestNamespace } from '../harness/envtest';
import { issueCert } from '../harness/envtest/pki.cjs';
import { loadClusterAuth, mergeKubeconfigs } from '../../operator/src/kube/auth';
import { KubeClient } from '../../operator/src/kube/client';
import { ExecPluginError, KubeconfigError } from '../../operator/src/kube/errors';
import { CONFIGMAPS } from './support/informer-kit';
import { startTestOperator } from './support/operator';
import { startPrivateControlPlane, type PrivateControlPlane } from './support/private-control-plane';
import { eventually, image, sleep, World } from './support/world';

const TTL_MS = 3_000;
/** a request checks its credential just before it is sent; it may arrive this much later on a busy machine */
const IN_FLIGHT_SLACK_MS = 1_000;
const PLUGIN = path.join(__dirname, 'support/exec-plugin.mjs');
const V1 = 'client.authentication.k8s.io/v1';

let dir: string;
let plane: PrivateControlPlane;
let server: string;
const caFile = path.join(process.env.ENVTEST_CERT_DIR ?? '', 'ca.crt');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-exec-'));
  // tok-N authenticates as exec-tok-N (the static token file's CSV: token,user,uid,"groups")
  fs.writeFileSync(path.join(dir, 'tokens.csv'), Array.from({ length: 50 }, (_, i) => `tok-${i + 1},exec-tok-${i + 1},uid-${i + 1},"system:masters"`).join('\n'));
  fs.writeFileSync(path.join(dir, 'audit-policy.yaml'), stringify({
    apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['ResponseStarted', 'ResponseComplete', 'Panic'], rules: [{ level: 'Metadata' }],
  }));
  plane = await startPrivateControlPlane(90_000, {
    caFrom: process.env.ENVTEST_CERT_DIR,
    apiserverArgs: [`--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      `--audit-policy-file=${path.join(dir, 'audit-policy.yaml')}`, `--audit-log-path=${path.join(dir, 'audit.log')}`],
  });
  server = plane.kubeConfig().getCurrentCluster()!.server;
}, 120_000);
afterAll(async () => {
  await plane?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Issued { n: number; expirationTimestamp?: string; execInfo: { apiVersion: string; kind: string; spec: { interactive: boolean; cluster?: { server: string } } } }

/** A plugin directory and a kubeconfig whose user runs the plugin with these settings. */
function execKubeconfig(name: string, pluginEnv: Record<string, string>, exec: Record<string, unknown> = {}): { file: string; pluginDir: string; issued(): Issued[] } {
  const pluginDir = path.join(dir, name);
  fs.mkdirSync(pluginDir, { recursive: true });
  const file = path.join(pluginDir, 'kubeconfig');
  fs.writeFileSync(file, stringify({
    'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'u', user: { exec: {
      apiVersion: V1, interactiveMode: 'Never', command: process.execPath, args: [PLUGIN],
      env: Object.entries({ PLUGIN_DIR: pluginDir, ...pluginEnv }).map(([k, value]) => ({ name: k, value })), ...exec,
    } } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
  }));
  const issued = (): Issued[] => {
    const log = path.join(pluginDir, 'issued.jsonl');
    return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Issued) : [];
  };
  return { file, pluginDir, issued };
}

/** The audit log's requests by users whose name starts with prefix: which credential (N) and when. */
function requestsBy(prefix: string): Array<{ n: number; at: number; uri: string }> {
  return fs.readFileSync(path.join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as {
    user: { username: string }; requestReceivedTimestamp: string; requestURI: string;
  }).filter((e) => e.user.username.startsWith(prefix))
    .map((e) => ({ n: Number(e.user.username.slice(prefix.length)), at: Date.parse(e.requestReceivedTimestamp), uri: e.requestURI }));
}

/**
 * The operator on the exec kubeconfig: it syncs with one plugin run, then keeps reconciling
 * across several expiries, the plugin running again after each; no request arrives with a
 * credential past its expiry.
 */
async function operatorAcrossExpiries(name: string, userPrefix: string, pluginEnv: Record<string, string>, { watchesFollow = false } = {}): Promise<void> {
  const cfg = execKubeconfig(name, { PLUGIN_TTL_MS: String(TTL_MS), ...pluginEnv });
  const ns = await createTestNamespace(name, plane.kubeConfig());
  const world = new World(plane.kubeConfig(), ns);
  const op = await startTestOperator(await loadClusterAuth([cfg.file]), ns);
  try {
    await eventually(() => op.isReady(), 'the operator synced its informers');
    // seven informers listed at once: one plugin run served them all
    expect(cfg.issued()).toHaveLength(1);
    await world.createApp('refresh', { migration: { enabled: false } });
    await eventually(async () => image(await world.deployment('refresh'))?.endsWith(':v1'), 'the Deployment of v1');
    for (const tag of ['v2', 'v3']) {
      await sleep(TTL_MS + 200); // the credential in use has expired
      await world.patchSpec('refresh', { tag });
      await eventually(async () => image(await world.deployment('refresh'))?.endsWith(`:${tag}`), `the Deployment of ${tag}, after a refresh`);
    }
  } finally {
    await op.stop();
    world.close();
  }
  const issued = cfg.issued();
  expect(issued.length).toBeGreaterThanOrEqual(3);
  expect(issued[0]!.execInfo).toEqual({ apiVersion: V1, kind: 'ExecCredential', spec: { interactive: false } });
  const expiry = new Map(issued.map((i) => [i.n, Date.parse(i.expirationTimestamp!)]));
  const requests = requestsBy(userPrefix);
  // the API server saw the operator with each of the first three credentials ...
  for (const n of [1, 2, 3]) expect(requests.some((r) => r.n === n)).toBe(true);
  // ... and never with one past its expiry
  const late = requests.filter((r) => r.at > expiry.get(r.n)! + IN_FLIGHT_SLACK_MS);
  expect(late).toEqual([]);
  if (watchesFollow) {
    // A watch's connection keeps the certificate it was opened with: each one the operator opened
    // with the first certificate was opened again with a later one (not minutes later, at its timeout).
    const watched = (keep: (n: number) => boolean): string[] =>
      [...new Set(requests.filter((r) => keep(r.n) && /[?&]watch=true/.test(r.uri)).map((r) => r.uri.split('?')[0]!))].sort();
    expect(watched((n) => n === 1).length).toBeGreaterThanOrEqual(7);
    expect(watched((n) => n > 1)).toEqual(watched((n) => n === 1));
  }
}

test('when the exec plugin issues expiring bearer tokens, then the operator keeps working across expiries, runs the plugin again each time, and never sends an expired token', async () => {
  await operatorAcrossExpiries('tokens', 'exec-tok-', {});
}, 90_000);

test('when the exec plugin issues expiring client certificates, then the operator keeps working across expiries on new connections with the new certificate, its watches included', async () => {
  const ca = { certFile: caFile, keyFile: path.join(process.env.ENVTEST_CERT_DIR!, 'ca.key') };
  const pki = path.join(dir, 'certs-pki');
  const pluginDir = path.join(dir, 'certs');
  fs.mkdirSync(pki);
  fs.mkdirSync(pluginDir);
  for (let n = 1; n <= 12; n++) {
    const c = issueCert(ca, pki, `cert-${n}`, { user: `exec-cert-${n}`, groups: ['system:masters'] });
    fs.copyFileSync(c.certFile, path.join(pluginDir, `cert-${n}.crt`));
    fs.copyFileSync(c.keyFile, path.join(pluginDir, `cert-${n}.key`));
  }
  await operatorAcrossExpiries('certs', 'exec-cert-', { PLUGIN_MODE: 'cert' }, { watchesFollow: true });
}, 90_000);

describe('plugin configuration and failures, as client-go reports them', () => {
  let ns: string;
  beforeAll(async () => { ns = await createTestNamespace('exec-errors', plane.kubeConfig()); });

  test('when provideClusterInfo is set, then the plugin is told the cluster in KUBERNETES_EXEC_INFO; a credential without expiry is kept', async () => {
    const cfg = execKubeconfig('cluster-info', {}, { provideClusterInfo: true });
    const client = new KubeClient(await loadClusterAuth([cfg.file]));
    try {
      for (let i = 0; i < 3; i++) await client.list(CONFIGMAPS, ns);
    } finally {
      client.close();
    }
    const issued = cfg.issued();
    expect(issued).toHaveLength(1); // no expirationTimestamp: valid until the process ends
    expect(issued[0]!.execInfo.spec.cluster).toEqual({ server, 'certificate-authority-data': fs.readFileSync(caFile).toString('base64') });
  });

  test('when the server refuses the plugin\'s credential (401) before any expiry, then the next request runs the plugin again', async () => {
    const cfg = execKubeconfig('revoked', { PLUGIN_FIRST_TOKEN: 'revoked-token' });
    const client = new KubeClient(await loadClusterAuth([cfg.file]));
    try {
      await expect(client.list(CONFIGMAPS, ns)).rejects.toMatchObject({ statusCode: 401 });
      await expect(client.list(CONFIGMAPS, ns)).resolves.toMatchObject({ items: [] });
      await client.list(CONFIGMAPS, ns);
    } finally {
      client.close();
    }
    expect(cfg.issued().map((i) => i.n)).toEqual([1, 2]); // tok-2 kept: it has no expiry and was accepted
  });

  test('when the plugin fails or answers for another apiVersion, then the request fails with the plugin named and its message', async () => {
    const failing = new KubeClient(await loadClusterAuth([execKubeconfig('failing', { PLUGIN_FAIL: 'no SSO session: run aws sso login' }).file]));
    const wrong = new KubeClient(await loadClusterAuth([execKubeconfig('wrong-version', { PLUGIN_API_VERSION: 'client.authentication.k8s.io/v1beta1' }).file]));
    try {
      const err = await failing.list(CONFIGMAPS, ns).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExecPluginError);
      expect((err as Error).message).toBe(`exec plugin ${process.execPath} failed: no SSO session: run aws sso login`);
      await expect(wrong.list(CONFIGMAPS, ns)).rejects.toThrow(`exec plugin ${process.execPath}: configured for ${V1}, it returned client.authentication.k8s.io/v1beta1`);
    } finally {
      failing.close();
      wrong.close();
    }
  });

  test('when the exec stanza is unusable, then loading the kubeconfig fails at startup naming the user', async () => {
    const at = (name: string) => `${path.join(dir, name, 'kubeconfig')}: user "u"`;
    await expect(loadClusterAuth([execKubeconfig('no-mode', {}, { interactiveMode: undefined }).file]))
      .rejects.toThrow(new KubeconfigError(`${at('no-mode')}: exec interactiveMode must be set for ${V1}`));
    await expect(loadClusterAuth([execKubeconfig('always', {}, { interactiveMode: 'Always' }).file]))
      .rejects.toThrow(`${at('always')}: exec interactiveMode Always needs a terminal, which the operator does not have`);
    await expect(loadClusterAuth([execKubeconfig('alpha', {}, { apiVersion: 'client.authentication.k8s.io/v1alpha1' }).file]))
      .rejects.toThrow(`${at('alpha')}: exec apiVersion "client.authentication.k8s.io/v1alpha1" is not one of`);
  });

  test('when the exec command is a relative path, then it is relative to its kubeconfig file; a bare name is left to PATH', () => {
    const file = path.join(dir, 'relative.yaml');
    fs.writeFileSync(file, stringify({ users: [
      { name: 'a', user: { exec: { command: './bin/get-token', apiVersion: V1 } } },
      { name: 'b', user: { exec: { command: 'aws', args: ['eks', 'get-token'], apiVersion: V1 } } },
    ] }));
    const users = mergeKubeconfigs([file]).users!;
    expect((users[0]!.user.exec as { command: string }).command).toBe(path.join(dir, 'bin/get-token'));
    expect((users[1]!.user.exec as { command: string }).command).toBe('aws');
  });
});
