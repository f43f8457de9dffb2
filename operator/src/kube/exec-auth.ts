// Exec credential plugins (a kubeconfig user's `exec:`, e.g. `aws eks get-token`), without loading
// the generated @kubernetes/client-node API: its ExecAuth module (which imports only
// node:child_process) runs the plugin. Around it, what client-go does and ExecAuth alone does not:
// the configuration is checked at startup, the plugin is told KUBERNETES_EXEC_INFO, its answer is
// validated, a credential without expirationTimestamp is kept (ExecAuth would run the plugin for
// every request), concurrent requests share one run of the plugin when the credential expires,
// and a credential the server refuses (401) is replaced on the next request.
import type * as https from 'node:https';
import type { Credential } from '@kubernetes/client-node/dist/exec_auth.js';
import type { User } from '@kubernetes/client-node/dist/config_types.js';
import { ExecPluginError, KubeconfigError } from './errors';

const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

/** The `exec` stanza of a kubeconfig user, as kubectl reads it. */
export interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion: string;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
  provideClusterInfo?: boolean;
}

/** What the plugin is told of the cluster when provideClusterInfo is set (ExecCredential spec.cluster). */
export interface ExecClusterInfo {
  server: string;
  'certificate-authority-data'?: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'proxy-url'?: string;
}

interface ExecCredential extends Credential {
  apiVersion?: string;
  kind?: string;
}

/** ExecAuth's plugin runner: the one method of it we call (it keeps no state we rely on). */
interface PluginRunner {
  getCredential(user: User): Promise<ExecCredential | null>;
}

/** Checks a kubeconfig user's exec stanza as client-go does; `where` names it in errors. */
export function checkExecConfig(exec: unknown, where: string): ExecConfig {
  const e = exec as Partial<ExecConfig> | null;
  if (!e || typeof e.command !== 'string' || !e.command) throw new KubeconfigError(`${where}: exec has no command`);
  if (!e.apiVersion || !API_VERSIONS.includes(e.apiVersion)) {
    throw new KubeconfigError(`${where}: exec apiVersion "${e.apiVersion ?? ''}" is not one of ${API_VERSIONS.join(', ')}`);
  }
  if (e.apiVersion.endsWith('/v1') && !e.interactiveMode) throw new KubeconfigError(`${where}: exec interactiveMode must be set for ${e.apiVersion}`);
  if (e.interactiveMode === 'Always') throw new KubeconfigError(`${where}: exec interactiveMode Always needs a terminal, which the operator does not have`);
  if (e.args !== undefined && !(Array.isArray(e.args) && e.args.every((a) => typeof a === 'string'))) throw new KubeconfigError(`${where}: exec args must be strings`);
  return e as ExecConfig;
}

export interface ExecIdentity {
  token?: string;
  cert?: string;
  key?: string;
}

/** Runs the plugin when there is no credential or it expired; one run at a time. */
export class ExecCredentialSource {
  private cached?: { identity: ExecIdentity; expiresAt: number };
  private running?: Promise<ExecIdentity>;
  private readonly user: User;

  constructor(private readonly runner: PluginRunner, userName: string, private readonly exec: ExecConfig, cluster: ExecClusterInfo) {
    const info = {
      apiVersion: exec.apiVersion,
      kind: 'ExecCredential',
      spec: { interactive: false, ...(exec.provideClusterInfo ? { cluster } : {}) },
    };
    this.user = { name: userName, exec: { ...exec, env: [...(exec.env ?? []), { name: 'KUBERNETES_EXEC_INFO', value: JSON.stringify(info) }] } };
  }

  async identity(now = Date.now()): Promise<ExecIdentity> {
    if (this.cached && now < this.cached.expiresAt) return this.cached.identity;
    this.running ??= this.run().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async run(): Promise<ExecIdentity> {
    let cred: ExecCredential | null;
    try {
      cred = await this.runner.getCredential(this.user);
    } catch (err) {
      throw new ExecPluginError(`exec plugin ${this.exec.command} failed: ${(err as Error).message.trim() || String(err)}`);
    }
    const fail = (why: string): never => { throw new ExecPluginError(`exec plugin ${this.exec.command}: ${why}`); };
    if (!cred?.status) return fail('its ExecCredential has no status');
    if (cred.apiVersion !== this.exec.apiVersion) fail(`configured for ${this.exec.apiVersion}, it returned ${cred.apiVersion ?? 'no apiVersion'}`);
    const { token, clientCertificateData: cert, clientKeyData: key, expirationTimestamp } = cred.status;
    if (!token && !cert && !key) fail('it returned neither a token nor a client certificate and key');
    if (!cert !== !key) fail('it returned only one of clientCertificateData and clientKeyData');
    const expiresAt = expirationTimestamp ? Date.parse(expirationTimestamp) : Infinity;
    if (Number.isNaN(expiresAt)) fail(`expirationTimestamp "${expirationTimestamp}" is not a time`);
    const identity: ExecIdentity = { token: token || undefined, cert: cert || undefined, key: key || undefined };
    this.cached = { identity, expiresAt };
    return identity;
  }

  /**
   * The server answered 401 to a request made with `opts`: if that was the credential still in
   * use, drop it, so the next request runs the plugin again (client-go's rule; a credential
   * revoked before its expiry, or one without an expiry, is replaced).
   */
  unauthorized(opts: https.RequestOptions): void {
    const used = this.cached?.identity;
    if (!used) return;
    const auth = (opts.headers as Record<string, unknown> | undefined)?.Authorization;
    if ((used.token && auth === `Bearer ${used.token}`) || (used.cert && opts.cert === used.cert)) this.cached = undefined;
  }

  /** Fills in the (possibly refreshed) credential: a bearer token, a client certificate, or both. */
  async apply(opts: https.RequestOptions): Promise<void> {
    const { token, cert, key } = await this.identity();
    if (cert && key) {
      opts.cert = cert;
      opts.key = key;
    }
    if (token) opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
  }
}

/** client-node's ExecAuth, loaded on first use (only kubeconfigs with exec users pay for it). */
export async function execPluginRunner(): Promise<PluginRunner> {
  const { ExecAuth } = await import('@kubernetes/client-node/dist/exec_auth.js');
  // getCredential is private in its typings, but it is the plugin run we need: the public
  // applyAuthentication hides the credential's expiry, which the cache and the single run need.
  // A new ExecAuth each run: its own cache would hand back a credential the server just refused.
  const probe = new ExecAuth() as unknown as Partial<PluginRunner>;
  if (typeof probe.getCredential !== 'function') throw new Error('@kubernetes/client-node ExecAuth has no getCredential: its version changed; see operator/src/kube/exec-auth.ts');
  return { getCredential: (user) => (new ExecAuth() as unknown as PluginRunner).getCredential(user) };
}
