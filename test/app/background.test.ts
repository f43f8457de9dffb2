// The background runner of the sentiment backfill: retries after a failure, stops at once when
// asked (also while pausing before a retry), and reports how it ended. Pure: the backfill is a stub.
import { startSentimentBackfill } from '../../app/src/background';
import { memoryLogger } from './support';

const messages = (logs: Record<string, unknown>[]) => logs.map((l) => l.msg);

test('when the backfill fails once, then it is retried after retryMs and its completion is logged with the count', async () => {
  const { logger, logs } = memoryLogger();
  const calls: number[] = [];
  const task = startSentimentBackfill(async (batchSize) => {
    calls.push(batchSize);
    if (calls.length === 1) throw new Error('database unavailable');
    return 42;
  }, { batchSize: 7, retryMs: 20 }, logger);
  await task.done;
  expect(calls).toEqual([7, 7]);
  expect(logs.find((l) => l.msg === 'sentiment backfill failed: retrying')).toMatchObject({ level: 'warn', attempt: 1, err: { message: 'database unavailable' } });
  expect(logs.find((l) => l.msg === 'sentiment backfill complete')).toMatchObject({ filled: 42 });
});

test('when stopped mid-batch, then the batch sees the abort, stop() resolves once it has returned, and no retry follows', async () => {
  const { logger, logs } = memoryLogger();
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  let calls = 0;
  const task = startSentimentBackfill((_batchSize, signal) => {
    calls += 1;
    started();
    // A batch that ends only when aborted, as a queued scoring batch does.
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => setTimeout(() => reject(signal.reason), 5), { once: true }));
  }, { batchSize: 10, retryMs: 60_000 }, logger);
  await running;
  const t0 = Date.now();
  await task.stop();
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(calls).toBe(1);
  expect(messages(logs)).toEqual(['sentiment backfill stopped: the rows still without sentiment are scored at the next start']);
});

test('when stopped while pausing before a retry, then it ends at once instead of after retryMs', async () => {
  const { logger, logs } = memoryLogger();
  let calls = 0;
  const task = startSentimentBackfill(async () => {
    calls += 1;
    throw new Error('scoring queue full');
  }, { batchSize: 10, retryMs: 60_000 }, logger);
  // The first attempt has failed once its warning is logged (the logger writes synchronously to the sink).
  for (let i = 0; i < 100 && !logs.length; i++) await new Promise((r) => setImmediate(r));
  const t0 = Date.now();
  await task.stop();
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(calls).toBe(1);
  expect(messages(logs)).toEqual(['sentiment backfill failed: retrying', 'sentiment backfill stopped: the rows still without sentiment are scored at the next start']);
});
