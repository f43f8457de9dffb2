import { WorkQueue } from '../../operator/src/runtime/workqueue';
import { backoffDelay } from '../../operator/src/runtime/backoff';

describe('WorkQueue', () => {
  test('when a key is added twice before it is taken, then it is handed out once', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
  });

  test('when a key is re-added while it is processing, then it is not handed out again until done', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    const first = await q.get();
    q.add('ns/a');
    expect(q.len()).toBe(0); // held back: the key is being processed
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first!);
    await Promise.resolve();
    expect(second).toBe('ns/a');
  });

  test('when done is called for a key not re-added, then it is not queued again', async () => {
    const q = new WorkQueue();
    q.add('k');
    q.done((await q.get())!);
    expect(q.len()).toBe(0);
  });

  test('when a getter waits on an empty queue, then an add wakes it', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('late');
    await expect(waiting).resolves.toBe('late');
  });

  test('when failures repeat, then addRateLimited delays grow exponentially and forget resets them', () => {
    jest.useFakeTimers();
    try {
      const q = new WorkQueue({ baseMs: 10, maxMs: 1000 });
      expect(q.addRateLimited('k')).toBe(10);
      expect(q.addRateLimited('k')).toBe(20);
      expect(q.addRateLimited('k')).toBe(40);
      expect(q.numRequeues('k')).toBe(3);
      q.forget('k');
      expect(q.numRequeues('k')).toBe(0);
      expect(q.addRateLimited('k')).toBe(10);
      q.shutDown();
    } finally {
      jest.useRealTimers();
    }
  });

  test('when a key is added after a delay, then it appears only once the delay has passed, and the earlier of two delays wins', async () => {
    jest.useFakeTimers();
    try {
      const q = new WorkQueue();
      q.addAfter('k', 1000);
      q.addAfter('k', 200);
      jest.advanceTimersByTime(199);
      expect(q.len()).toBe(0);
      jest.advanceTimersByTime(1);
      expect(q.len()).toBe(1);
      jest.advanceTimersByTime(1000);
      expect(q.len()).toBe(1); // the cancelled 1000 ms add does not fire
    } finally {
      jest.useRealTimers();
    }
  });

  test('when shut down, then waiting getters get undefined and idle() waits for in-flight keys', async () => {
    const q = new WorkQueue();
    q.add('a');
    const a = await q.get();
    const waiter = q.get();
    q.shutDown();
    await expect(waiter).resolves.toBeUndefined();
    let idle = false;
    const idlePromise = q.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    q.done(a!);
    await idlePromise;
    expect(idle).toBe(true);
    q.add('b');
    expect(q.len()).toBe(0);
  });

  test('when shut down with keys still queued, then get() hands out none of them: no pass starts after stop', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'c']) q.add(k);
    expect(await q.get()).toBe('a');
    q.shutDown();
    await expect(q.get()).resolves.toBeUndefined();
    await expect(q.get()).resolves.toBeUndefined();
  });

  test('when items are added, taken and retried, then the observer sees adds, depth, queue time and retries', async () => {
    const seen = { adds: 0, depth: [] as number[], queued: 0, retries: 0 };
    const q = new WorkQueue({ baseMs: 1, maxMs: 1 }, {
      added: () => seen.adds++, depth: (n) => seen.depth.push(n), queued: () => seen.queued++, retried: () => seen.retries++,
    });
    q.add('a');
    q.add('a');
    q.add('b');
    await q.get();
    q.addRateLimited('a');
    q.shutDown();
    expect(seen).toEqual({ adds: 2, depth: [1, 2, 1], queued: 1, retries: 1 });
  });
});

describe('WorkQueue work in progress', () => {
  test('when keys are being processed, then unfinished work sums their ages, the longest is the oldest, and done() reports each duration once', async () => {
    let now = 1_000_000;
    const worked: number[] = [];
    const q = new WorkQueue(undefined, { worked: (s) => worked.push(s) }, () => now);
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 0, longestSeconds: 0 });
    q.add('a');
    q.add('b');
    await q.get();
    now += 3_000;
    await q.get();
    now += 1_000;
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 5, longestSeconds: 4 });
    q.done('a');
    expect(worked).toEqual([4]);
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 1, longestSeconds: 1 });
    q.done('b');
    q.done('b'); // a second done() of a key not in processing reports nothing
    expect(worked).toEqual([4, 1]);
    expect(q.unfinishedWork()).toEqual({ totalSeconds: 0, longestSeconds: 0 });
  });
});

describe('backoffDelay', () => {
  test('when failures grow, then the delay doubles up to the cap', () => {
    const p = { baseMs: 5, maxMs: 100 };
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((n) => backoffDelay(n, p))).toEqual([0, 5, 10, 20, 40, 80, 100, 100]);
  });
});
