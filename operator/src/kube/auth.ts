// Where the API server is and how to authenticate to it. The in-cluster service account and
// kubeconfigs with client certificates, tokens or exec credential plugins (e.g. `aws eks
// get-token`, ./exec-auth) are read here without loading @kubernetes/client-node's generated API,
// which costs ~55 MB of memory; only auth-provider plugins (oidc, azure, gcp) fall back to it.
import { readFileSync, existsSync } from 'node:fs';
import type * as https from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { KubeconfigError } from './errors';
import { checkExecConfig, execPluginRunner, ExecCredentialSource } from './exec-auth';
import { parseProxyUrl } from './proxy';

export { KubeconfigError };

/** What the transport needs; @kubernetes/client-node's KubeConfig satisfies it too. */
export interface ClusterAuth {
  getCurrentCluster(): { server: string; proxyUrl?: string } | null;
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
  /** the server answered 401 to a request made with these options (a refreshable credential is dropped) */
  unauthorized?(opts: https.RequestOptions): void;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_TTL_MS = 60_000; // projected tokens rotate: re-read the file at most this often

interface TlsAndAuth {
  server: string;
  proxyUrl?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  servername?: string;
  token?: string;
  tokenFile?: string;
  basic?: string;
}

class StaticAuth implements ClusterAuth {
  private cachedToken?: { value: string; at: number };
  constructor(private readonly a: TlsAndAuth) {}

  getCurrentCluster(): { server: string; proxyUrl?: string } {
    return { server: this.a.server, proxyUrl: this.a.proxyUrl };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const { ca, cert, key, insecure, servername, basic } = this.a;
    if (ca) opts.ca = ca;
    if (cert) opts.cert = cert;
    if (key) opts.key = key;
    if (insecure) opts.rejectUnauthorized = false;
    if (servername) opts.servername = servername;
    if (basic) opts.auth = basic;
    const token = this.token();
    if (token) opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
  }

  private token(): string | undefined {
    if (!this.a.tokenFile) return this.a.token;
    if (!this.cachedToken || Date.now() - this.cachedToken.at > TOKEN_TTL_MS) {
      this.cachedToken = { value: readFileSync(this.a.tokenFile, 'utf8').trim(), at: Date.now() };
    }
    return this.cachedToken.value;
  }
}

/** TLS from the kubeconfig, credentials from an exec plugin (refreshed when they expire). */
class ExecPluginAuth extends StaticAuth {
  constructor(a: TlsAndAuth, private readonly exec: ExecCredentialSource) {
    super(a);
  }

  override async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    await this.exec.apply(opts);
  }

  unauthorized(opts: https.RequestOptions): void {
    this.exec.unauthorized(opts);
  }
}

type Named<T> = { name: string } & T;
export interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Named<{ context: { cluster: string; user: string } }>[];
  clusters?: Named<{ cluster: Record<string, string | boolean | undefined> }>[];
  users?: Named<{ user: Record<string, unknown> }>[];
}

/** Inline base64 data, else the file (made absolute by mergeKubeconfigs). */
function fileOrData(file: unknown, data: unknown): Buffer | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file) return readFileSync(file);
  return undefined;
}

const FILE_FIELDS = { cluster: ['certificate-authority'], user: ['client-certificate', 'client-key', 'tokenFile'] } as const;

/** A copy of entry with the file references in `fields` made absolute (relative to the file that names them). */
function absolutePaths<T extends Record<string, unknown>>(entry: T, fields: readonly string[], base: string): T {
  const out: Record<string, unknown> = { ...entry };
  for (const f of fields) if (typeof out[f] === 'string' && out[f] && !isAbsolute(out[f] as string)) out[f] = join(base, out[f] as string);
  return out as T;
}

/** An exec command given as a relative path (with a slash) is relative to its file; a bare name is looked up in PATH (client-go's rule). */
function execCommandPath(user: Record<string, unknown>, base: string): Record<string, unknown> {
  const exec = user.exec as { command?: unknown } | undefined;
  if (typeof exec?.command !== 'string' || !exec.command.includes('/') || isAbsolute(exec.command)) return user;
  return { ...user, exec: { ...exec, command: join(base, exec.command) } };
}

/**
 * Several kubeconfig files merged as kubectl merges KUBECONFIG: the first file to name a cluster,
 * user or context wins, and so does the first current-context; file references become absolute.
 */
export function mergeKubeconfigs(paths: readonly string[]): KubeconfigFile {
  const merged: Required<Pick<KubeconfigFile, 'clusters' | 'users' | 'contexts'>> & KubeconfigFile = { clusters: [], users: [], contexts: [] };
  for (const path of paths) {
    const doc = (parse(readFileSync(path, 'utf8')) ?? {}) as KubeconfigFile;
    const base = dirname(path);
    merged['current-context'] ||= doc['current-context'];
    for (const c of doc.clusters ?? []) {
      if (!merged.clusters.some((m) => m.name === c.name)) merged.clusters.push({ ...c, cluster: absolutePaths(c.cluster ?? {}, FILE_FIELDS.cluster, base) });
    }
    for (const u of doc.users ?? []) {
      if (!merged.users.some((m) => m.name === u.name)) merged.users.push({ ...u, user: execCommandPath(absolutePaths(u.user ?? {}, FILE_FIELDS.user, base), base) });
    }
    for (const c of doc.contexts ?? []) if (!merged.contexts.some((m) => m.name === c.name)) merged.contexts.push(c);
  }
  return merged;
}

async function fromKubeconfig(paths: readonly string[]): Promise<ClusterAuth> {
  const doc = mergeKubeconfigs(paths);
  const path = paths.join(':');
  const ctxName = doc['current-context'];
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new KubeconfigError(`${path}: current-context "${ctxName ?? ''}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (!cluster || typeof cluster.server !== 'string') throw new KubeconfigError(`${path}: cluster "${ctx.cluster}" has no server`);
  const proxyUrl = typeof cluster['proxy-url'] === 'string' && cluster['proxy-url'] ? cluster['proxy-url'] : undefined;
  try {
    if (proxyUrl) parseProxyUrl(proxyUrl);
  } catch (err) {
    throw new KubeconfigError(`${path}: cluster "${ctx.cluster}" proxy-url ${(err as Error).message}`);
  }
  if (user['auth-provider'] && !user.exec) {
    // auth-provider plugins (oidc, azure, gcp): let client-node run them (and pay for loading it only here).
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromString(stringify(doc)); // the merged view, its file references already absolute
    return kc;
  }
  // every file reference is absolute by now (mergeKubeconfigs)
  const tlsAndAuth: TlsAndAuth = {
    server: cluster.server,
    proxyUrl,
    ca: fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    servername: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    cert: fileOrData(user['client-certificate'], user['client-certificate-data']),
    key: fileOrData(user['client-key'], user['client-key-data']),
    token: typeof user.token === 'string' ? user.token : undefined,
    tokenFile: typeof user.tokenFile === 'string' ? user.tokenFile : undefined,
    basic: typeof user.username === 'string' ? `${user.username}:${String(user.password ?? '')}` : undefined,
  };
  if (!user.exec) return new StaticAuth(tlsAndAuth);
  const exec = checkExecConfig(user.exec, `${path}: user "${ctx.user}"`);
  const caData = tlsAndAuth.ca?.toString('base64');
  return new ExecPluginAuth(tlsAndAuth, new ExecCredentialSource(await execPluginRunner(), ctx.user, exec, {
    server: cluster.server,
    ...(caData ? { 'certificate-authority-data': caData } : {}),
    ...(tlsAndAuth.servername ? { 'tls-server-name': tlsAndAuth.servername } : {}),
    ...(tlsAndAuth.insecure ? { 'insecure-skip-tls-verify': true } : {}),
    ...(proxyUrl ? { 'proxy-url': proxyUrl } : {}),
  }));
}

function inCluster(): ClusterAuth {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeconfigError('no kubeconfig (KUBECONFIG, ~/.kube/config) and not in a cluster (KUBERNETES_SERVICE_HOST unset)');
  return new StaticAuth({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SA_DIR, 'ca.crt')),
    tokenFile: join(SA_DIR, 'token'),
  });
}

/** The kubeconfig files (merged), else ~/.kube/config, else the in-cluster service account (client-go's order). */
export async function loadClusterAuth(kubeconfigPaths: readonly string[] = []): Promise<ClusterAuth> {
  if (kubeconfigPaths.length > 0) return fromKubeconfig(kubeconfigPaths);
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeconfig([home]);
  return inCluster();
}
