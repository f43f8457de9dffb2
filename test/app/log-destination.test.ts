// The default log destination batches a turn's lines into one asynchronous write: nothing may be lost
// or reordered by that, not at process.exit, a crash or a fatal line followed by SIGKILL; a burst beyond
// its bound is dropped and counted, never buffered without limit (a stalled reader: log-stall.test.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../app/src/observability/logger';
import { lineBatchingDestination } from '../../app/src/observability/log-destination';
import { waitFor } from '../harness/wait';
import { compiledApp } from './app-build';

let build: string;

beforeAll(async () => {
  build = path.join(await compiledApp(), 'app/src/observability');
}, 300000);

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logdest-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const lines = (file: string): Record<string, unknown>[] =>
  fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

test('a turn of lines is handed over once the turn ends and written in order, multi-byte text intact', async () => {
  const file = path.join(dir, 'out.log');
  const log = createLogger('info', lineBatchingDestination(fs.openSync(file, 'w')));
  for (let i = 0; i < 50; i++) log.info({ i, text: 'café ☕ 𝄞' }, 'request');
  expect(fs.readFileSync(file, 'utf8')).toBe(''); // still pending: one write per turn
  await turn();
  // The write itself is asynchronous (never blocking the event loop): wait for it.
  const got = await waitFor('the turn\'s lines', async () => (lines(file).length === 50 ? lines(file) : undefined), 5000, 10);
  expect(got.map((l) => l.i)).toEqual([...Array(50).keys()]);
  expect(got.every((l) => l.text === 'café ☕ 𝄞' && l.level === 'info' && l.msg === 'request')).toBe(true);
});

test('a burst that never yields keeps at most maxBufferedBytes: the rest is dropped and counted, the kept lines are written in order', async () => {
  const file = path.join(dir, 'out.log');
  const dest = lineBatchingDestination(fs.openSync(file, 'w'), { maxBufferedBytes: 256 * 1024 });
  const log = createLogger('info', dest);
  const filler = 'x'.repeat(1000);
  for (let i = 0; i < 1000; i++) log.info({ i, filler }, 'burst'); // ~1 MB without a turn boundary
  expect(dest.droppedLines).toBeGreaterThan(600); // no write can complete before the loop turns
  const kept = 1000 - dest.droppedLines;
  const written = await waitFor('the kept lines', async () => (lines(file).length === kept ? lines(file) : undefined), 5000, 10);
  // What was kept is whole and in order: the start of the burst (up to the bound), and what came once a write completed.
  const order = written.map((l) => l.i as number);
  expect(order[0]).toBe(0);
  expect(order.every((v, k) => k === 0 || v > order[k - 1]!)).toBe(true);
  expect(fs.statSync(file).size).toBeLessThanOrEqual(256 * 1024 + 64 * 1024 + 2000);
  log.info({ i: 'after' }, 'next');
  await waitFor('a line after the burst', async () => (lines(file).at(-1)?.i === 'after' ? true : undefined), 5000, 10);
});

// A child process that logs through the default destination (stdout), then ends the way given.
function child(ending: string): { stdout: string; status: number | null; signal: NodeJS.Signals | null } {
  const script = `
    const { createLogger } = require(${JSON.stringify(path.join(build, 'logger.js'))});
    const log = createLogger('info');
    for (let i = 0; i < 3; i++) log.info({ i }, 'before the end');
    ${ending}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  return { stdout: r.stdout, status: r.status, signal: r.signal };
}
const indexes = (stdout: string): unknown[] => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i?: number }).i);

test('lines logged just before process.exit are written', () => {
  const r = child('process.exit(3);');
  expect(r.status).toBe(3);
  expect(indexes(r.stdout)).toEqual([0, 1, 2]);
});

test('lines logged just before an uncaught exception are written', () => {
  const r = child(`throw new Error('boom');`); // in the same turn as the lines
  expect(r.status).toBe(1);
  expect(indexes(r.stdout)).toEqual([0, 1, 2]);
});

test('a fatal line is written at once, even if the process is then killed', () => {
  const r = child(`log.fatal({ i: 3 }, 'going down'); process.kill(process.pid, 'SIGKILL');`);
  expect(r.signal).toBe('SIGKILL');
  expect(indexes(r.stdout)).toEqual([0, 1, 2, 3]);
});
