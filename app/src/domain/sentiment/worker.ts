// Worker thread entry (run by ScoringPool): loads the sentiment model once, then scores one batch
// per message. Compiled JavaScript only (dist/, .cache/app-build): a worker cannot load TypeScript.
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { createSentimentModel } from './model.js';
import type { WorkerMessage, WorkerRequest } from './pool.js';

const port = parentPort;
if (!port) throw new Error('sentiment worker: not running in a worker thread');
/**
 * Scoring takes the CPU the main thread leaves: this thread alone runs at the lowest priority
 * (Linux: setpriority on the thread id, as piscina's niceIncrement does), so that on a busy core
 * the main thread is run first when a probe or a short request wakes it.
 */
function yieldToMainThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop()); // "<pid>/task/<tid>"
    os.setPriority(tid, 19);
  } catch {
    // Not Linux (no /proc/thread-self), or not permitted: the same priority as the main thread.
  }
}

yieldToMainThread();
const model = createSentimentModel();
port.on('message', ({ texts }: WorkerRequest) => {
  let reply: WorkerMessage;
  try {
    reply = { predictions: texts.map((t) => model.predict(t)) };
  } catch (err) {
    reply = { error: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies WorkerMessage);
