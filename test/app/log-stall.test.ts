// Issue 31 item 7: logs never block the event loop. The built server runs as a process whose
// stdout is a pipe nobody reads (a stalled log agent); requests that log keep arriving. /livez must
// stay fast, memory bounded (lines beyond LOG_BUFFER_BYTES are dropped and counted in
// log_lines_dropped_total), and once the reader resumes, whole lines flow again. With the previous
// destination (synchronous writes) /livez stopped answering as soon as the pipe filled (docs/app/logging.md).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { freePort } from '../harness/free-port.cjs';
import { metricSum, metricValue } from '../harness/metrics.cjs';
import { waitFor } from '../harness/wait';
import { compiledApp } from './app-build';

const root = path.resolve(__dirname, '../..');
const BUFFER_BYTES = 64 * 1024; // LOG_BUFFER_BYTES' minimum: the stall is reached with few requests
const CONNECTIONS = 2;
const LOAD_SECONDS = 6;
const PAUSE_MS = 2;

let build: string;
let db: TestDatabase;
const children: ChildProcess[] = [];

beforeAll(async () => {
  build = path.join(await compiledApp(), 'app/src');
  db = await createTestDatabase('logstall');
}, 300000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await db.drop();
});

const rssBytes = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

/** The server with stdout a pipe this test does not read (yet); it fills after a few hundred KB. */
async function startWithStalledStdout(): Promise<{ child: ChildProcess; base: string; metricsPort: number; exited: Promise<number | null> }> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [path.join(build, 'start.js')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: db.url, MIGRATE_ON_START: 'true', HOST: '127.0.0.1',
      PORT: String(port), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', LOG_BUFFER_BYTES: String(BUFFER_BYTES), SHUTDOWN_DELAY_MS: '0' },
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('the server to answer /livez', async () => ((await fetch(`${base}/livez`).catch(() => undefined))?.ok ? true : undefined), 60_000, 100,
    { stopIf: () => (child.exitCode !== null ? `server exited ${child.exitCode}: ${stderr}` : undefined) });
  return { child, base, metricsPort, exited };
}

it('when stdout is a pipe nobody reads and requests keep logging, then /livez stays fast, memory stays bounded, drops are counted and logging resumes with whole lines', async () => {
  const { child, base, metricsPort, exited } = await startWithStalledStdout();
  const dropped = async () => metricValue(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), 'log_lines_dropped_total') ?? NaN;
  expect(await dropped()).toBe(0);
  const rssBefore = rssBytes(child.pid!);
  // This machine's /livez without load, for comparison (the stdout pipe is not full yet).
  const quiet: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/livez`)).arrayBuffer();
    quiet.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 10));
  }

  // Load that logs one access line per request, from wrk (a process of its own, so that the probes
  // here measure the app, not this event loop), and a /livez probe every 10 ms beside it.
  // Paced (each connection pauses PAUSE_MS between requests, ~800 lines/s): the probes measure the logging, not a saturated CPU.
  const lua = path.join(os.tmpdir(), `log-stall-${process.pid}.lua`);
  fs.writeFileSync(lua, `function delay() return ${PAUSE_MS} end\n`);
  const wrk = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${LOAD_SECONDS}s`, '-s', lua, `${base}/v1/items/0`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let wrkOut = '';
  wrk.stdout!.on('data', (d: Buffer) => (wrkOut += d.toString()));
  const wrkDone = new Promise((r) => wrk.on('exit', r));
  let loading = true;
  const livez: number[] = [];
  const probe = (async () => {
    // Probes count from when the pipe is full and lines are being dropped.
    await waitFor('lines to be dropped', async () => ((await dropped()) > 0 ? true : undefined), LOAD_SECONDS * 1000, 50);
    while (loading) {
      const t0 = performance.now();
      // Before the change this never answered once the pipe was full: the write blocked the process.
      const res = await fetch(`${base}/livez`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      livez.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await wrkDone.finally(() => (loading = false));
  await probe;
  fs.rmSync(lua, { force: true });

  const p99 = percentile(livez, 99);
  const droppedDuringLoad = await dropped();
  const requests = Number(/(\d+) requests in/.exec(wrkOut)?.[1]);
  const rssGrowth = rssBytes(child.pid!) - rssBefore;
  process.stdout.write(`log-stall: ${requests} requests in ${LOAD_SECONDS} s over ${CONNECTIONS} connections (load ${os.loadavg()[0]!.toFixed(1)}); quiet /livez p99 ${percentile(quiet, 99).toFixed(1)} ms; stalled /livez n=${livez.length} ` +
    `p50=${percentile(livez, 50).toFixed(1)} ms p99=${p99.toFixed(1)} ms max=${Math.max(...livez).toFixed(1)} ms; dropped ${droppedDuringLoad} lines; RSS +${(rssGrowth / 2 ** 20).toFixed(1)} MiB\n`);
  // Every probe answered (before the change none did once the pipe was full) and fast: under 50 ms
  // at p99, or on a machine so loaded that even the quiet probes are slow, within 3x of those.
  expect(livez.length).toBeGreaterThan(20);
  expect(p99).toBeLessThan(Math.max(50, 3 * percentile(quiet, 99)));
  expect(droppedDuringLoad).toBeGreaterThan(0);

  // The reader resumes: everything that was kept arrives as whole JSON lines, and new lines follow.
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>); // a torn line would throw here
      buf = buf.slice(nl + 1);
    }
  });
  const reqId = 'after-the-stall';
  let markers = 0;
  // Each request adds a line; the buffered ones are retried every 100 ms by the destination.
  await waitFor('the line of a request made after the reader resumed', async () => {
    markers += 1;
    await (await fetch(`${base}/v1/items/1`, { headers: { 'x-request-id': reqId } })).arrayBuffer();
    return lines.some((l) => l.reqId === reqId) ? true : undefined;
  }, 20_000, 200);
  expect(lines[0]).toMatchObject({ level: 'info', service: 'fastapiapp' }); // the first startup line was kept
  // Every access line was either written or dropped and counted: nothing else piles up in memory.
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const accessLines = lines.filter((l) => typeof l.route === 'string').length;
  expect(accessLines + (metricValue(metrics, 'log_lines_dropped_total') ?? NaN)).toBe(metricSum(metrics, 'http_requests_total'));
  expect(markers).toBeGreaterThan(0);

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 180000);

it('when stdout is stalled and the server gets SIGTERM, then it still exits promptly (the last flush gives up on the reader)', async () => {
  const { child: proc, base, metricsPort, exited } = await startWithStalledStdout();
  // Fill the pipe: the destination is now retrying and dropping.
  await waitFor('lines to be dropped', async () => {
    await Promise.all(Array.from({ length: 200 }, () => fetch(`${base}/v1/items/0`).then((r) => r.arrayBuffer())));
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return (metricValue(text, 'log_lines_dropped_total') ?? 0) > 0 ? true : undefined;
  }, 60_000, 0);
  const t0 = Date.now();
  proc.kill('SIGTERM');
  const exitMs = () => Date.now() - t0;
  expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])).toBe(0);
  process.stdout.write(`log-stall: SIGTERM with stdout stalled: exited in ${exitMs()} ms\n`);
  expect(exitMs()).toBeLessThan(5000); // the shutdown's own steps plus one bounded flush (SYNC_FLUSH_MAX_MS)
}, 180000);
