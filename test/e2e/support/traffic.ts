// Steady client traffic through the app's ClusterIP during a scenario: a keep-alive client and a
// one-connection-per-request client, each mixing reads and writes at a fixed rate (kept under load). Every failure
// is recorded with its time and cause; every acknowledged write is remembered so the suite can
// read it back afterwards.
import http from 'node:http';

export interface Failure {
  at: number;
  client: 'keep-alive' | 'new-connection';
  request: string;
  error: string;
  /** the x-fastapiapp-variant header of the response, when one came (test image variants set it) */
  variant?: string;
}

/** One answered request (with recordAnswers): when it was sent (Date.now()), its status, which variant answered ('' = no header). */
export interface Answer {
  sentAt: number;
  status: number;
  variant: string;
}

export interface TrafficReport {
  sent: number;
  failed: Failure[];
  written: number[];
  seconds: number;
  /** Date.now() when the traffic started (Failure.at is relative to it) */
  startedAt: number;
  /** every answered request, with recordAnswers */
  answers: Answer[];
}

interface Target {
  host: string;
  port: number;
}

function request(agent: http.Agent, target: Target, method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<{ status: number; json: unknown; variant?: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      host: target.host, port: target.port, method, path, agent, timeout: timeoutMs,
      headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = text;
        }
        const variant = res.headers['x-fastapiapp-variant'];
        resolve({ status: res.statusCode ?? 0, json, ...(typeof variant === 'string' ? { variant } : {}) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Sends `ratePerClient` requests per second from each client until stop() is called. readBack:
 * some reads fetch an item this run wrote (off when the app moves to another database mid-run,
 * where those ids do not exist).
 */
export function startTraffic(target: Target, { ratePerClient = 35, label = 'e2e', readBack = true, recordAnswers = false } = {}):
  { stop: () => Promise<TrafficReport>; report: TrafficReport } {
  const started = Date.now();
  const report: TrafficReport = { sent: 0, failed: [], written: [], seconds: 0, startedAt: started, answers: [] };
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  const clients = [
    { name: 'keep-alive' as const, agent: new http.Agent({ keepAlive: true, maxSockets: 4 }) },
    { name: 'new-connection' as const, agent: new http.Agent({ keepAlive: false }) },
  ];
  const one = async (client: (typeof clients)[number]) => {
    const i = n++;
    const known = report.written;
    const [method, path, body] = i % 3 === 0
      ? ['POST', '/items', { name: `${label} ${i}`, description: 'written during a rollout', price: i % 100 }] as const
      : i % 3 === 1 && readBack && known.length ? ['GET', `/items/${known[i % known.length]}`, undefined] as const
        : ['GET', '/items?limit=5', undefined] as const;
    report.sent++;
    const sentAt = Date.now();
    let variant: string | undefined;
    try {
      const res = await request(client.agent, target, method, path, body);
      variant = res.variant;
      if (recordAnswers) report.answers.push({ sentAt, status: res.status, variant: res.variant ?? '' });
      const ok = method === 'POST' ? res.status === 201 : res.status === 200;
      if (!ok) throw new Error(`HTTP ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`);
      if (method === 'POST') report.written.push((res.json as { id: number }).id);
    } catch (err) {
      report.failed.push({ at: Date.now() - started, client: client.name, request: `${method} ${path}`, error: (err as Error).message, ...(variant !== undefined ? { variant } : {}) });
    }
  };
  // Each tick sends what the rate says is due by now, so a busy event loop (a loaded CI machine
  // delays timers; GC pauses of 100 ms were seen at load 9) does not lower the rate; at most
  // MAX_BURST at once, older backlog is dropped.
  const MAX_BURST = 10;
  const timers = clients.map((client) => {
    let sent = 0;
    return setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * ratePerClient);
      sent = Math.max(sent, due - MAX_BURST);
      for (; sent < due; sent++) {
        const p = one(client).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }, Math.min(20, 1000 / ratePerClient));
  });
  return {
    report,
    stop: async () => {
      timers.forEach(clearInterval);
      report.seconds = (Date.now() - started) / 1000; // how long it sent: the rate is sent / seconds
      await Promise.all(inFlight);
      clients.forEach((c) => c.agent.destroy());
      return report;
    },
  };
}

/** One JSON request (for the scenario's own checks). */
export async function call(target: Target, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await request(agent, target, method, path, body) as { status: number; json: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  } finally {
    agent.destroy();
  }
}

export interface Outcome {
  path: string;
  /** Date.now() when it was sent */
  at: number;
  ms: number;
  status?: number;
  json?: unknown;
  /** a connection-level failure: refused, reset, or no answer within the client's timeout */
  error?: string;
}

/**
 * GETs `paths` in turn at `ratePerSecond`, each on a new connection (so every request goes through
 * the Service's endpoint choice), tolerating slow answers up to `timeoutMs`; records every outcome.
 */
export function recordRequests(target: Target, paths: string[], { ratePerSecond = 20, timeoutMs = 30_000 } = {}): { stop: () => Promise<Outcome[]> } {
  const started = Date.now();
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * ratePerSecond);
    for (; sent < due; sent++) {
      const path = paths[sent % paths.length]!;
      const at = Date.now();
      const p = request(agent, target, 'GET', path, undefined, timeoutMs).then(
        (r) => { outcomes.push({ path, at, ms: Date.now() - at, status: r.status, json: r.json }); },
        (err: Error & { code?: string }) => { outcomes.push({ path, at, ms: Date.now() - at, error: err.code ?? err.message }); },
      ).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }, 20);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      agent.destroy();
      return outcomes.sort((a, b) => a.at - b.at);
    },
  };
}
