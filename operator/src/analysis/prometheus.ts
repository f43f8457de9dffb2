// A small client of the Prometheus HTTP API (instant queries only), for release analysis.
// Prometheus is reached at the operator's PROMETHEUS_URL; errors are typed so a caller can tell
// "Prometheus is unreachable or rejected the query" (no verdict) from "no data" (a measurement of 0).

export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
  constructor(message: string, readonly status?: number, readonly errorType?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

interface ApiResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

export interface PrometheusClientOptions {
  /** per request; default 10 s */
  timeoutMs?: number;
}

export class PrometheusClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: PrometheusClientOptions = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** An instant query: its vector's samples, or a scalar as one sample without labels. */
  async query(promql: string, time?: Date): Promise<Sample[]> {
    const body = new URLSearchParams({ query: promql });
    if (time) body.set('time', String(time.getTime() / 1000));
    let res: Response;
    try {
      // POST: long queries do not hit URL length limits
      res = await fetch(`${this.base}/api/v1/query`, { method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new PrometheusError(`Prometheus at ${this.base} is unreachable: ${(err as Error).message}`, undefined, undefined, { cause: err });
    }
    let json: ApiResponse;
    try {
      json = (await res.json()) as ApiResponse;
    } catch (err) {
      throw new PrometheusError(`Prometheus at ${this.base} answered ${res.status} without a JSON body`, res.status, undefined, { cause: err });
    }
    if (json.status !== 'success' || !json.data) {
      throw new PrometheusError(`Prometheus rejected the query (${json.errorType ?? res.status}): ${json.error ?? 'no data'}`, res.status, json.errorType);
    }
    const { resultType, result } = json.data;
    if (resultType === 'scalar') return [{ metric: {}, value: Number((result as [number, string])[1]) }];
    if (resultType === 'vector') {
      return (result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    }
    throw new PrometheusError(`expected an instant vector or scalar, got ${resultType}`, res.status);
  }

  /** The single value of a query that aggregates to at most one series; undefined when it is empty. */
  async value(promql: string, time?: Date): Promise<number | undefined> {
    const samples = await this.query(promql, time);
    if (samples.length > 1) throw new PrometheusError(`expected at most one series, got ${samples.length}: ${promql}`);
    return samples[0]?.value;
  }
}
