import { ConfigError, loadConfig } from '../../operator/src/config';

describe('loadConfig', () => {
  test('when nothing is set, then defaults apply: all namespaces, leader election, :8080, info, 8 workers', () => {
    const c = loadConfig({ POD_NAMESPACE: 'ops' });
    expect(c).toMatchObject({
      watchNamespaces: [], leaderElect: true, metricsAddr: ':8080', logLevel: 'info', maxConcurrentReconciles: 8,
      leaderElection: { namespace: 'ops', name: 'fastapiapp-operator-leader', leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 },
    });
  });

  test('when TRANSIENT_ERROR_THRESHOLD_SECONDS is unset, set or bad, then it is 60 s, the value, or a ConfigError naming it', () => {
    expect(loadConfig({ POD_NAMESPACE: 'ops' }).transientErrorThresholdMs).toBe(60_000);
    expect(loadConfig({ POD_NAMESPACE: 'ops', TRANSIENT_ERROR_THRESHOLD_SECONDS: '5' }).transientErrorThresholdMs).toBe(5_000);
    expect(() => loadConfig({ POD_NAMESPACE: 'ops', TRANSIENT_ERROR_THRESHOLD_SECONDS: 'soon' })).toThrow(/TRANSIENT_ERROR_THRESHOLD_SECONDS/);
  });

  test('when RUNBOOK_BASE_URL is unset, set or not a URL, then the SLO alerts link the repository path, the URL (without a trailing /), or a ConfigError names it', () => {
    expect(loadConfig({ POD_NAMESPACE: 'ops' }).runbookBaseUrl).toBeUndefined();
    expect(loadConfig({ POD_NAMESPACE: 'ops', RUNBOOK_BASE_URL: 'https://git.example/ops/runbooks/' }).runbookBaseUrl).toBe('https://git.example/ops/runbooks');
    expect(() => loadConfig({ POD_NAMESPACE: 'ops', RUNBOOK_BASE_URL: 'wiki/runbooks' })).toThrow(/RUNBOOK_BASE_URL="wiki\/runbooks": expected an http\(s\) URL/);
  });

  test('when PROMETHEUS_URL is unset, set or not a URL, then there is no analysis, the URL, or a ConfigError naming it', () => {
    expect(loadConfig({ POD_NAMESPACE: 'ops' }).prometheusUrl).toBeUndefined();
    expect(loadConfig({ POD_NAMESPACE: 'ops', PROMETHEUS_URL: 'http://prometheus.monitoring:9090/' }).prometheusUrl).toBe('http://prometheus.monitoring:9090');
    expect(() => loadConfig({ POD_NAMESPACE: 'ops', PROMETHEUS_URL: 'prometheus:9090' })).toThrow(/PROMETHEUS_URL="prometheus:9090": expected an http\(s\) URL/);
  });

  test('when values are set, then they are parsed', () => {
    const c = loadConfig({ WATCH_NAMESPACES: 'a, b', LEADER_ELECT: 'false', METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'debug', MAX_CONCURRENT_RECONCILES: '8', POD_NAME: 'op-1' });
    expect(c).toMatchObject({ watchNamespaces: ['a', 'b'], leaderElect: false, metricsAddr: '127.0.0.1:0', logLevel: 'debug', maxConcurrentReconciles: 8 });
    expect(c.leaderElection.identity).toBe('op-1');
  });

  test('when several values are invalid, then one ConfigError names every variable', () => {
    let err: unknown;
    try {
      loadConfig({ WATCH_NAMESPACES: 'Bad_NS', LEADER_ELECT: 'maybe', METRICS_ADDR: 'nope', LOG_LEVEL: 'loud', MAX_CONCURRENT_RECONCILES: '0', KUBECONFIG: '/does/not/exist' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    for (const v of ['WATCH_NAMESPACES', 'LEADER_ELECT', 'METRICS_ADDR', 'LOG_LEVEL', 'MAX_CONCURRENT_RECONCILES', 'KUBECONFIG']) expect(msg).toContain(v);
    expect((err as ConfigError).problems).toHaveLength(6);
  });
});
