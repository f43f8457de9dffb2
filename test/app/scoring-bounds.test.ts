// Bounded scoring work (issue 29 item 3): at most SCORING_QUEUE_MAX batches handed off at once and a
// deadline per batch, beyond which 503 + Retry-After (counted in sentiment_scoring_rejections_total);
// and, as a real process under a flood of the largest batches, RSS stays bounded and /livez prompt.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { LIMITS } from '../../app/src/domain/schemas';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { freePort } from '../harness/free-port.cjs';
import { startTestApp } from './support';

/** The largest body /predict/batch accepts: 5 texts of 10,000 characters (50,000 in all). */
const LARGEST = { texts: Array.from({ length: LIMITS.batchTextMax / LIMITS.textMax }, (_, i) => `Text ${i}: ${'I really loved it, but the delivery was slow. '.repeat(300)}`.slice(0, LIMITS.textMax)) };

const sample = (m: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m)?.[1]);

describe('in process (scored on the event loop, SENTIMENT_WORKERS=0)', () => {
  it('when more of the largest batches arrive at once than SCORING_QUEUE_MAX, then the excess is 503 with Retry-After at once, the rest scored', async () => {
    const t = await startTestApp('bounds-queue', { scoring: { maxPending: 2, deadlineMs: 60_000 } });
    try {
      const res = await Promise.all(Array.from({ length: 16 }, () => request(t.app).post('/predict/batch').send(LARGEST)));
      const by = (s: number) => res.filter((r) => r.status === s);
      expect(by(200).length + by(503).length).toBe(16);
      expect(by(200).length).toBeGreaterThanOrEqual(2);
      expect(by(503).length).toBeGreaterThan(0);
      for (const r of by(503)) {
        expect(r.body).toEqual({ detail: 'Sentiment scoring is at capacity; retry later' });
        expect(r.headers['retry-after']).toBe('1');
      }
      for (const r of by(200)) expect(r.body.predictions).toHaveLength(LARGEST.texts.length);
      const m = (await request(t.metricsApp).get('/metrics')).text;
      expect(m).toMatch(new RegExp(`^sentiment_scoring_rejections_total\\{reason="queue_full"\\} ${by(503).length}$`, 'm'));
      expect(sample(m, 'sentiment_scoring_queue_depth')).toBe(0);
    } finally {
      await t.stop();
    }
  });

  it('when batches wait past SCORING_DEADLINE_MS, then they are 503 (deadline) instead of answered late', async () => {
    const t = await startTestApp('bounds-deadline', { scoring: { maxPending: 100, deadlineMs: 20 } });
    try {
      const res = await Promise.all(Array.from({ length: 8 }, () => request(t.app).post('/predict/batch').send(LARGEST)));
      const late = res.filter((r) => r.status === 503);
      expect(res.every((r) => r.status === 200 || r.status === 503)).toBe(true);
      expect(late.length).toBeGreaterThan(0);
      for (const r of late) expect(r.body).toEqual({ detail: 'Sentiment scoring took too long; retry later' });
      const m = (await request(t.metricsApp).get('/metrics')).text;
      expect(m).toMatch(new RegExp(`^sentiment_scoring_rejections_total\\{reason="deadline"\\} ${late.length}$`, 'm'));
    } finally {
      await t.stop();
    }
  });
});

describe('a real process under a flood of the largest batches', () => {
  const root = path.resolve(__dirname, '../..');
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(__dirname, 'tsconfig.spawn.json')], { cwd: root, stdio: 'pipe' });
    db = await createTestDatabase('bounds-flood');
  }, 240_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await db?.drop();
  });

  const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

  it('when 64 clients flood POST /predict/batch for 6 s, then only 200s and 503s come back, RSS stays bounded and /livez answers promptly', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [path.join(root, '.cache/app-build/app/src/start.js')], {
      cwd: root,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: db.url, MIGRATE_ON_START: 'true', LOG_LEVEL: 'warn',
        HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: String(await freePort()), SENTIMENT_WORKERS: '1',
        SCORING_QUEUE_MAX: '8', RATE_LIMIT_PREDICT: '0', SHUTDOWN_DELAY_MS: '0',
      },
    });
    const base = `http://127.0.0.1:${port}`;
    const pid = child.pid!;
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/livez`).then((r) => r.ok, () => false)) break;
      if (i > 300) throw new Error('the app did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await fetch(`${base}/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LARGEST) }); // warm
    const idle = rssMiB(pid);
    const body = JSON.stringify(LARGEST);
    const statuses = new Map<number, number>();
    const until = Date.now() + 6000;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
    const flood = Array.from({ length: 64 }, async () => {
      while (Date.now() < until) {
        const r = await fetch(`${base}/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 503) expect(r.headers.get('retry-after')).toBe('1');
      }
    });
    const livez: number[] = [];
    const probes = (async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        await (await fetch(`${base}/livez`)).arrayBuffer();
        livez.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await Promise.all([...flood, probes]);
    clearInterval(sampler);
    livez.sort((a, b) => a - b);
    const p99 = livez[Math.floor(livez.length * 0.99)]!;
    process.stderr.write(`scoring flood: statuses ${JSON.stringify(Object.fromEntries(statuses))}, RSS idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, /livez p50 ${livez[Math.floor(livez.length / 2)]!.toFixed(1)} ms p99 ${p99.toFixed(1)} ms (${livez.length} probes)\n`);
    expect([...statuses.keys()].sort()).toEqual([200, 503]);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(peak - idle).toBeLessThan(150);
    expect(p99).toBeLessThan(250);
  }, 120_000);
});
