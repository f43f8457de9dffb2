// Issue 31 item 9: the server itself scores rows adopted from the lab (NULL sentiment) after it
// starts listening, in batches that leave serving alone, and a signal stops it promptly without
// losing anything: the built server as a process on a lab database (the lab's DDL).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { waitFor } from '../harness/wait';
import { compiledApp } from './app-build';
import { spawnServer, type StartedServer } from './server-process';

// ~170 characters each: a batch is over the inline limit, so it is scored on the worker pool.
const POSITIVE = 'Great product, works well. I love it and would happily buy it again for the whole family; the quality is excellent and delivery was fast and friendly too.';
const NEGATIVE = 'Terrible, it broke after one day. Awful quality and useless support; I hate it and regret buying it, the worst purchase I have made in years, truly bad.';

let build: string;
const children: ChildProcess[] = [];
const databases: TestDatabase[] = [];

beforeAll(async () => {
  build = path.join(await compiledApp(), 'app/src');
}, 300000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const db of databases) await db.drop();
});

interface Server extends StartedServer {
  base: string;
}

async function startServer(url: string, env: Record<string, string>): Promise<Server> {
  const s = await spawnServer(path.join(build, 'start.js'), { DATABASE_URL: url, MIGRATE_ON_START: 'true', ...env }, children);
  return { ...s, base: `http://127.0.0.1:${s.port}` };
}

/** A lab database (its first Alembic revision) holding `rows` items, alternately positive and negative. */
async function labDatabase(prefix: string, rows: number): Promise<{ db: TestDatabase; admin: Client }> {
  const db = await createTestDatabase(prefix);
  databases.push(db);
  const admin = new Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(readFileSync(path.join(__dirname, 'fixtures/lab-schema.sql'), 'utf8'));
  await admin.query(`INSERT INTO items (name, description) SELECT 'lab ' || i, CASE WHEN i % 2 = 0 THEN $1 ELSE $2 END FROM generate_series(1, $3::int) AS i`,
    [POSITIVE, NEGATIVE, rows]);
  return { db, admin };
}

const count = async (admin: Client, where: string): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM items WHERE ${where}`)).rows[0].n);

/** Every row is intact: either scored with the right label and a score, or untouched (both NULL). */
async function expectNoLostData(admin: Client, rows: number): Promise<void> {
  expect(await count(admin, 'true')).toBe(rows);
  expect(await count(admin, `description NOT IN ('${POSITIVE}', '${NEGATIVE}')`)).toBe(0);
  expect(await count(admin, '(sentiment IS NULL) <> (sentiment_score IS NULL)')).toBe(0);
  expect(await count(admin, `sentiment IS NOT NULL AND NOT (description = '${POSITIVE}' AND sentiment = 'positive' OR description = '${NEGATIVE}' AND sentiment = 'negative')`)).toBe(0);
}

it('when the server starts on a lab database with rows without sentiment, then it scores them all in batches while the API keeps serving', async () => {
  const ROWS = 3000;
  const { db, admin } = await labDatabase('backfill', ROWS);
  try {
    const s = await startServer(db.url, { SENTIMENT_BACKFILL_BATCH: '25' });
    // Requests during the backfill: each answered, and some answered while rows were still NULL.
    let servedMidway = 0;
    const latencies: number[] = [];
    await waitFor('the backfill to finish', async () => {
      const nullBefore = await count(admin, 'sentiment IS NULL');
      const t0 = performance.now();
      const res = await fetch(`${s.base}/v1/items/${1 + Math.floor(Math.random() * ROWS)}`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      const nullAfter = await count(admin, 'sentiment IS NULL');
      if (nullAfter > 0 && nullBefore < ROWS) servedMidway += 1;
      return s.logs.some((l) => l.msg === 'sentiment backfill complete') ? true : undefined;
    }, 120_000, 20);
    const sorted = latencies.sort((a, b) => a - b);
    process.stdout.write(`sentiment-backfill: ${ROWS} rows; ${latencies.length} GETs during it, ${servedMidway} while it was part-way, p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms; ${JSON.stringify(s.logs.find((l) => l.msg === 'sentiment backfill complete'))}\n`);
    expect(servedMidway).toBeGreaterThan(0);
    expect(s.logs.find((l) => l.msg === 'sentiment backfill complete')).toMatchObject({ filled: ROWS });
    expect(await count(admin, 'sentiment IS NULL')).toBe(0);
    await expectNoLostData(admin, ROWS);
    // The failure case the backfill fixes: ?sentiment= now finds the adopted rows.
    const positives = (await (await fetch(`${s.base}/v1/items?sentiment=positive&limit=5`)).json()) as { description: string }[];
    expect(positives.length).toBe(5);
    expect(positives.every((i) => i.description === POSITIVE)).toBe(true);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  } finally {
    await admin.end();
  }
}, 180000);

it.each([
  ['SIGTERM', { SHUTDOWN_DELAY_MS: '0' }],
  ['SIGINT', {}],
])('when the server gets %s mid-backfill, then it exits promptly (< 2 s) without losing data, and the next start finishes the rows left', async (signal, env) => {
  const ROWS = 20000;
  const { db, admin } = await labDatabase('backfill_stop', ROWS);
  try {
    const s = await startServer(db.url, { SENTIMENT_BACKFILL_BATCH: '10', SHUTDOWN_TIMEOUT_MS: '10000', ...env });
    await waitFor('some batches to be stored', async () => ((await count(admin, 'sentiment IS NOT NULL')) >= 100 ? true : undefined), 60_000, 20);
    const t0 = Date.now();
    s.child.kill(signal as NodeJS.Signals);
    const code = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
    const exitMs = Date.now() - t0;
    const left = await count(admin, 'sentiment IS NULL');
    process.stdout.write(`sentiment-backfill: ${signal} mid-backfill: exit ${String(code)} in ${exitMs} ms, ${ROWS - left} of ${ROWS} rows scored\n`);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(2000);
    expect(s.logs.some((l) => l.msg === 'sentiment backfill stopped: the rows still without sentiment are scored at the next start')).toBe(true);
    expect(left).toBeGreaterThan(0); // it was stopped part-way
    await expectNoLostData(admin, ROWS);

    const again = await startServer(db.url, { SENTIMENT_BACKFILL_BATCH: '200', SHUTDOWN_DELAY_MS: '0' });
    await waitFor('the second backfill to finish', async () => (again.logs.some((l) => l.msg === 'sentiment backfill complete') ? true : undefined), 120_000, 50);
    expect(again.logs.find((l) => l.msg === 'sentiment backfill complete')).toMatchObject({ filled: left });
    expect(await count(admin, 'sentiment IS NULL')).toBe(0);
    await expectNoLostData(admin, ROWS);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  } finally {
    await admin.end();
  }
}, 240000);
