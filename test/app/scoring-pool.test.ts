// Sentiment scoring on worker threads (SENTIMENT_WORKERS): long texts are scored off the main
// thread with the same answers; a worker that dies is answered 503 and replaced; a batch whose
// client left while it was queued is dropped unscored (and the request counted as 499); close()
// terminates the workers. Real worker threads running the compiled worker (a worker cannot load
// TypeScript), real Postgres behind the app.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import request from 'supertest';
import { RequestAbortedError, ScoringFailedError, ServiceUnavailableError } from '../../app/src/domain/errors';
import { createSentimentModel } from '../../app/src/domain/sentiment/model';
import { ScoringPool } from '../../app/src/domain/sentiment/pool';
import { createHttpServer } from '../../app/src/http/server';
import { metricValue } from '../harness/metrics.cjs';
import { postBatches, startTestApp, type TestApp } from './support';
import { compiledApp } from './app-build';

let workerFile: string;

beforeAll(async () => {
  workerFile = path.join(await compiledApp(), 'app/src/domain/sentiment/worker.js');
}, 300000);

const model = createSentimentModel();
const longText = (i: number) => `${i} The battery life is great but the screen cracked after two days. `.repeat(160).slice(0, 10000);
/** The largest accepted batch: 5 x 10,000 characters. */
const LARGEST = Array.from({ length: 5 }, (_, i) => longText(i));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // Every turn, not every 10 ms: on a quiet machine with a warm worker a batch is scored in a few ms.
    await new Promise((r) => setImmediate(r));
  }
}
/** Answers (not the ready message) a worker sends from now on. */
function countAnswers(worker: Worker): { n: number } {
  const c = { n: 0 };
  worker.on('message', (m: object) => 'ready' in m || c.n++);
  return c;
}
const exited = (w: Worker) => new Promise<number>((r) => w.once('exit', r));

describe('the pool', () => {
  let pool: ScoringPool;
  const exits: { exitCode: number; busy: boolean }[] = [];
  beforeEach(() => {
    exits.length = 0;
    pool = new ScoringPool({ size: 1, file: workerFile, onWorkerExit: (e) => exits.push(e) });
  });
  afterEach(() => pool.close());

  it('when a batch is scored on a worker, then the predictions are those of the model on the main thread, in order', async () => {
    const texts = [...LARGEST, 'I love it', 'Nothing works.', 'The meeting is at 3pm'];
    expect(await pool.run(texts)).toEqual(texts.map((t) => model.predict(t)));
  });

  it('when the worker is terminated while scoring, then that batch fails with a 503 error, the worker is replaced and the next batch is scored', async () => {
    await pool.run(['warm up']); // loaded and ready
    const [first] = pool.threads as [Worker];
    const inFlight = pool.run(LARGEST);
    await until(() => pool.running === 1, 'the batch to reach the worker');
    await first.terminate();
    const err = await inFlight.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScoringFailedError);
    expect((err as ScoringFailedError).status).toBe(503);
    expect(exits).toEqual([{ exitCode: 1, busy: true, error: undefined }]);
    expect(pool.threads).toHaveLength(1);
    expect(pool.threads[0]).not.toBe(first);
    expect(await pool.run(['I love it'])).toEqual([model.predict('I love it')]);
  });

  it('when the client of a queued batch aborts, then it is rejected and never scored, while the running one finishes', async () => {
    await pool.run(['warm up']);
    const answers = countAnswers(pool.threads[0] as Worker);
    const running = pool.run(LARGEST);
    const ac = new AbortController();
    const queued = pool.run(LARGEST, ac.signal);
    expect(pool.queued).toBe(1);
    ac.abort();
    await expect(queued).rejects.toBeInstanceOf(RequestAbortedError);
    expect(pool.queued).toBe(0);
    expect(await running).toHaveLength(5);
    await pool.run(['after']);
    expect(answers.n).toBe(2); // the running batch and 'after': the aborted one never reached the worker
  });

  // The workers run at nice 19: with both cores saturated by normal-priority work (the process
  // tests and CI's Go builds beside this file) a terminated worker waited 2 s for a CPU to reach
  // its interrupt check. The bound is for "terminated, not left to finish"; the outcomes below
  // show that even the running batches were cut off.
  it('when closed while busy, then queued batches are rejected and every worker has exited within a few seconds', async () => {
    const big = new ScoringPool({ size: 2, file: workerFile });
    await Promise.all([big.run(['a']), big.run(['b'])]);
    const gone = big.threads.map(exited);
    const batches = Array.from({ length: 6 }, () => big.run(LARGEST).then(() => 'scored', (e: unknown) => e));
    await sleep(5);
    const start = Date.now();
    await big.close();
    await Promise.all(gone);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(big.threads).toHaveLength(0);
    const outcomes = await Promise.all(batches);
    expect(outcomes.every((o) => o instanceof ServiceUnavailableError)).toBe(true); // queued and running alike: none left hanging
    await expect(big.run(['x'])).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});

describe('the app with SENTIMENT_WORKERS=1', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('workers', { sentimentWorkers: 1, sentimentWorkerFile: workerFile });
    await request(t.app).post('/predict/batch').send({ texts: LARGEST }).expect(200); // worker ready
  });
  afterAll(async () => {
    await t.stop();
  });

  it('when a large batch is posted, then it is scored on the worker with the inline answers, and counted', async () => {
    const answers = countAnswers(t.scoringPool!.threads[0] as Worker);
    const res = await request(t.app).post('/predict/batch').send({ texts: LARGEST }).expect(200);
    expect(res.body.predictions).toEqual(LARGEST.map((x) => model.predict(x)));
    expect(answers.n).toBe(1);
    const short = await request(t.app).post('/predict').send({ text: 'I love it' }).expect(200);
    expect(short.body).toEqual(model.predict('I love it'));
    expect(answers.n).toBe(1); // a short text stays on the main thread
  });

  it('when the worker dies during a request, then it answers 503 with a clear detail, the exit is logged and counted, and the next request succeeds', async () => {
    const pool = t.scoringPool!;
    const worker = pool.threads[0] as Worker;
    const answered = request(t.app).post('/predict/batch').send({ texts: LARGEST }).then((r) => r);
    await until(() => pool.running === 1, 'the batch to reach the worker');
    await worker.terminate();
    const res = await answered;
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ detail: 'Sentiment scoring failed (worker stopped); retry the request' });
    expect(t.logs.find((l) => l.msg === 'sentiment worker stopped: replacing it')).toMatchObject({ level: 'error', exitCode: 1, busy: true });
    expect((await request(t.metricsApp).get('/metrics')).text).toMatch(/^sentiment_worker_exits_total 1$/m);
    await until(() => pool.threads.length === 1 && pool.threads[0] !== worker, 'a replacement worker');
    expect((await request(t.app).post('/predict/batch').send({ texts: LARGEST }).expect(200)).body.predictions).toHaveLength(5);
  });

  it('when a client closes the connection while its batch is queued, then 499 is counted and logged and the batch is not scored', async () => {
    const server = createHttpServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const answers = countAnswers(t.scoringPool!.threads[0] as Worker);
      const cancelled = async () => metricValue((await request(t.metricsApp).get('/metrics')).text, 'http_requests_total', { method: 'POST', route: '/predict/batch', status_code: '499' }) ?? 0;
      const before = await cancelled();
      const body = JSON.stringify({ texts: LARGEST });
      const busy = Array.from({ length: 2 }, () => fetch(`http://127.0.0.1:${port}/predict/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
      await until(() => t.scoringPool!.queued === 1, 'one batch running, one queued');
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /predict/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: left-queued\r\n\r\n${body}`);
      await until(() => t.scoringPool!.queued === 2, 'the third batch queued');
      socket.destroy();
      await until(() => t.logs.some((l) => l.reqId === 'left-queued'), 'its log line');
      expect(t.scoringPool!.queued).toBe(1);
      for (const r of await Promise.all(busy)) expect(r.status).toBe(200);
      expect(answers.n).toBe(2);
      expect(await cancelled()).toBe(before + 1);
      expect(t.logs.find((l) => l.reqId === 'left-queued')).toMatchObject({ level: 'warn', status: 499, route: '/predict/batch' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('when 8 of the largest batches are in flight, then /livez answers before most of them', async () => {
    const server = createHttpServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const body = JSON.stringify({ texts: LARGEST });
      const order: string[] = [];
      const batches = postBatches(base, body, 8, order);
      await until(() => t.scoringPool!.queued >= 6, 'the batches to be queued');
      const livez = fetch(`${base}/livez`).then((r) => order.push(`livez ${r.status}`));
      await Promise.all([...batches, livez]);
      expect(order.indexOf('livez 200')).toBeLessThan(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
