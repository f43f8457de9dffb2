// Controlled request series for a real Prometheus to scrape: the app's http_requests_total and
// http_request_duration_seconds per version, as the app's prom-client exposes them, advanced at
// each scrape by the rate, error ratio and latency set per version. One server per app on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VersionTraffic {
  /** requests per second */
  rps: number;
  /** share answered 500 */
  errorRatio: number;
  /** seconds every request takes */
  latency: number;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface Counters { ok: number; errors: number; sum: number; buckets: number[] }

export class RequestSeries {
  private readonly traffic = new Map<string, VersionTraffic>();
  private readonly counters = new Map<string, Counters>();
  private last = Date.now();
  private server?: http.Server;

  /** `namespace()` is read at each scrape (the suite's namespace exists only once its beforeAll ran). */
  constructor(private readonly namespace: () => string) {}

  /**
   * Sets (or changes) a version's traffic from now on; counters keep what they counted. `track`:
   * the pods' fastapiapp.io/track label as the ServiceMonitor copies it (canary pods carry one).
   */
  set(version: string, traffic: VersionTraffic, track = ''): void {
    this.advance();
    this.traffic.set(`${version}\n${track}`, traffic);
  }

  private advance(): void {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    for (const [version, t] of this.traffic) {
      const c = this.counters.get(version) ?? { ok: 0, errors: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      const n = t.rps * dt;
      c.errors += n * t.errorRatio;
      c.ok += n * (1 - t.errorRatio);
      c.sum += n * t.latency;
      BUCKETS.forEach((b, i) => { if (t.latency <= b) c.buckets[i]! += n; });
      this.counters.set(version, c);
    }
  }

  private exposition(): string {
    this.advance();
    const lines = ['# TYPE http_requests_total counter', '# TYPE http_request_duration_seconds histogram'];
    const ns = this.namespace();
    for (const [key, c] of this.counters) {
      const [version, track] = key.split('\n');
      const base = `namespace="${ns}",app_kubernetes_io_version="${version}",${track ? `fastapiapp_io_track="${track}",` : ''}method="GET",route="/items"`;
      lines.push(`http_requests_total{${base},status_code="200"} ${c.ok}`);
      lines.push(`http_requests_total{${base},status_code="500"} ${c.errors}`);
      const total = c.ok + c.errors;
      BUCKETS.forEach((b, i) => lines.push(`http_request_duration_seconds_bucket{${base},le="${b}"} ${c.buckets[i]}`));
      lines.push(`http_request_duration_seconds_bucket{${base},le="+Inf"} ${total}`);
      lines.push(`http_request_duration_seconds_count{${base}} ${total}`);
      lines.push(`http_request_duration_seconds_sum{${base}} ${c.sum}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(this.exposition());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
