// Operator configuration, read from the environment and validated once at startup. Every
// problem is reported at once, with the variable's name, so a bad Deployment fails fast.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseEnvProxy, readProxyEnv, type ProxyEnv } from './kube/proxy';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface OperatorConfig {
  /** kubeconfig files (KUBECONFIG, merged as kubectl does); empty = ~/.kube/config, else the in-cluster service account */
  kubeconfigPaths: string[];
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY (or lower case), used as client-go uses them unless the cluster has a proxy-url */
  proxyEnv: ProxyEnv;
  /** namespaces to watch; empty = all namespaces */
  watchNamespaces: string[];
  leaderElect: boolean;
  leaderElection: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  /** host:port of /healthz and /readyz, and of plain-HTTP /metrics unless secureMetricsAddr is set */
  metricsAddr: string;
  /** host:port of /metrics over HTTPS, authorised through the API server (TokenReview + SubjectAccessReview) */
  secureMetricsAddr?: string;
  /** directory with tls.crt and tls.key for the HTTPS metrics server; default: a self-signed certificate made at start */
  metricsCertDir?: string;
  logLevel: LogLevel;
  maxConcurrentReconciles: number;
  /** every FastApiApp is reconciled at least this often, even without events */
  resyncPeriodMs: number;
  /** how often to look again for a resource the API server does not serve (the ServiceMonitor CRD) */
  crdPollMs: number;
  /** transient API errors (429, 5xx, timeouts) are reported in status and Events only once they persist this long */
  transientErrorThresholdMs: number;
  /** base URL of the runbooks the generated SLO alerts link to (runbook_url = <base>/<Alert>.md); undefined = the repository path */
  runbookBaseUrl?: string;
  /** Prometheus HTTP API for release analysis (analysis/); undefined = no analysis */
  prometheusUrl?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid operator configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const problems: string[] = [];
  const bool = (name: string, dflt: boolean): boolean => {
    const v = env[name]?.trim().toLowerCase();
    if (v === undefined || v === '') return dflt;
    if (['true', '1', 'yes'].includes(v)) return true;
    if (['false', '0', 'no'].includes(v)) return false;
    problems.push(`${name}="${env[name]}": expected true or false`);
    return dflt;
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const v = env[name]?.trim();
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}="${v}": expected an integer from ${min} to ${max}`);
      return dflt;
    }
    return n;
  };

  const watchNamespaces = (env.WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const ns of watchNamespaces) if (!DNS_LABEL.test(ns)) problems.push(`WATCH_NAMESPACES: "${ns}" is not a valid namespace name`);

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL="${env.LOG_LEVEL}": expected one of ${LOG_LEVELS.join(', ')}`);

  const metricsAddr = env.METRICS_ADDR?.trim() || ':8080';
  const m = /^(.*):(\d{1,5})$/.exec(metricsAddr);
  if (!m || Number(m[2]) > 65535) problems.push(`METRICS_ADDR="${metricsAddr}": expected [host]:port, e.g. :8080`);
  const secureMetricsAddr = env.METRICS_SECURE_ADDR?.trim() || undefined;
  const sm = secureMetricsAddr ? /^(.*):(\d{1,5})$/.exec(secureMetricsAddr) : undefined;
  if (secureMetricsAddr && (!sm || Number(sm[2]) > 65535)) problems.push(`METRICS_SECURE_ADDR="${secureMetricsAddr}": expected [host]:port, e.g. :8443`);
  const metricsCertDir = env.METRICS_CERT_DIR?.trim() || undefined;
  for (const f of metricsCertDir ? ['tls.crt', 'tls.key'] : []) {
    try {
      readFileSync(`${metricsCertDir}/${f}`);
    } catch {
      problems.push(`METRICS_CERT_DIR="${metricsCertDir}": cannot read ${f}`);
    }
  }

  // kubectl skips files of the list that do not exist; none readable at all is an error here
  const listed = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  const kubeconfigPaths = listed.filter((p) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  });
  if (listed.length > 0 && kubeconfigPaths.length === 0) {
    problems.push(`KUBECONFIG="${env.KUBECONFIG}": cannot read ${listed.length > 1 ? 'any of these files' : 'it'}`);
  }

  /** An optional http(s) URL, without trailing slashes. */
  const httpUrl = (name: string, example: string): string | undefined => {
    const v = env[name]?.trim().replace(/\/+$/, '') || undefined;
    if (v && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(v)) problems.push(`${name}="${env[name]}": expected an http(s) URL, e.g. ${example}`);
    return v;
  };
  const runbookBaseUrl = httpUrl('RUNBOOK_BASE_URL', 'https://github.com/OWNER/REPO/blob/main/docs/operations/runbooks');
  const prometheusUrl = httpUrl('PROMETHEUS_URL', 'http://prometheus-operated.monitoring.svc:9090');

  const proxyEnv = readProxyEnv(env);
  for (const [name, value] of [['HTTPS_PROXY', proxyEnv.httpsProxy], ['HTTP_PROXY', proxyEnv.httpProxy]] as const) {
    try {
      if (value) parseEnvProxy(value);
    } catch (err) {
      problems.push(`${name} (or ${name.toLowerCase()}): ${(err as Error).message}`);
    }
  }

  const leaseNamespace = env.LEADER_ELECTION_NAMESPACE?.trim() || env.POD_NAMESPACE?.trim() || inClusterNamespace() || 'default';
  if (!DNS_LABEL.test(leaseNamespace)) problems.push(`LEADER_ELECTION_NAMESPACE="${leaseNamespace}" is not a valid namespace name`);
  const leaseName = env.LEADER_ELECTION_ID?.trim() || 'fastapiapp-operator-leader';
  const leaseDurationMs = int('LEASE_DURATION_SECONDS', 15, 2, 3600) * 1000;
  const renewDeadlineMs = int('RENEW_DEADLINE_SECONDS', 10, 1, 3600) * 1000;
  const retryPeriodMs = int('RETRY_PERIOD_SECONDS', 2, 1, 3600) * 1000;
  if (renewDeadlineMs >= leaseDurationMs) problems.push('RENEW_DEADLINE_SECONDS must be less than LEASE_DURATION_SECONDS');
  if (retryPeriodMs >= renewDeadlineMs) problems.push('RETRY_PERIOD_SECONDS must be less than RENEW_DEADLINE_SECONDS');

  const config: OperatorConfig = {
    kubeconfigPaths,
    proxyEnv,
    watchNamespaces,
    leaderElect: bool('LEADER_ELECT', true),
    leaderElection: {
      namespace: leaseNamespace,
      name: leaseName,
      identity: env.POD_NAME?.trim() || `${hostname()}_${randomBytes(4).toString('hex')}`,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    metricsAddr,
    ...(secureMetricsAddr ? { secureMetricsAddr } : {}),
    ...(metricsCertDir ? { metricsCertDir } : {}),
    logLevel,
    maxConcurrentReconciles: int('MAX_CONCURRENT_RECONCILES', 8, 1, 256),
    resyncPeriodMs: int('RESYNC_PERIOD_SECONDS', 600, 1, 86_400) * 1000,
    crdPollMs: int('CRD_POLL_SECONDS', 10, 1, 3600) * 1000,
    transientErrorThresholdMs: int('TRANSIENT_ERROR_THRESHOLD_SECONDS', 60, 0, 3600) * 1000,
    ...(runbookBaseUrl ? { runbookBaseUrl } : {}),
    ...(prometheusUrl ? { prometheusUrl } : {}),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export const CONFIG_HELP = `Environment:
  KUBECONFIG                  kubeconfig file(s), colon-separated and merged as kubectl does (default: ~/.kube/config, then in-cluster)
  HTTPS_PROXY / NO_PROXY      proxy for the API server and the hosts, domains, IPs and CIDRs that bypass it, as kubectl
                              reads them (a kubeconfig cluster's proxy-url takes precedence; loopback never uses them)
  WATCH_NAMESPACES            comma-separated namespaces to watch (default: all)
  LEADER_ELECT                true|false: elect a leader on a Lease before reconciling (default true)
  LEADER_ELECTION_NAMESPACE   namespace of the Lease (default: POD_NAMESPACE, the service account's, or default)
  LEADER_ELECTION_ID          name of the Lease (default fastapiapp-operator-leader)
  POD_NAME                    leader identity (default hostname + random suffix)
  METRICS_ADDR                [host]:port for /healthz, /readyz and (without METRICS_SECURE_ADDR) /metrics (default :8080)
  METRICS_SECURE_ADDR         [host]:port for /metrics over HTTPS, only for callers the API server authorises
                              (TokenReview + SubjectAccessReview: get on the non-resource URL /metrics) (default: unset)
  METRICS_CERT_DIR            tls.crt and tls.key for METRICS_SECURE_ADDR (default: self-signed at start)
  LOG_LEVEL                   ${LOG_LEVELS.join('|')} (default info)
  MAX_CONCURRENT_RECONCILES   parallel reconciles, 1-256 (default 8)
  RESYNC_PERIOD_SECONDS       reconcile every FastApiApp at least this often (default 600)
  CRD_POLL_SECONDS            how often to look for the ServiceMonitor CRD while it is absent (default 10)
  TRANSIENT_ERROR_THRESHOLD_SECONDS   API errors that may pass (429, 5xx, timeouts) are retried quietly;
                              Ready turns False (ReconcileError) with a Warning only after this long (default 60)
  LEASE_DURATION_SECONDS / RENEW_DEADLINE_SECONDS / RETRY_PERIOD_SECONDS   (default 15 / 10 / 2)`;
