// The serving database is one pg pool shared by the hot statements (pool.query) and Knex. A query
// that outlives the client-side query timeout still owes an answer, so its connection must not be
// handed out again: the next query would queue behind it (during a stall, until its own timeout).
// Real Postgres: the sleeping backend is real, and its pid tells one connection from another.
import { createDatabase, type Database } from '../../app/src/data/database';
import { createTestDatabase, type TestDatabase } from '../harness/postgres';
import { dbConfig } from './support';

const QUERY_TIMEOUT_MS = 300;
const SLEEP_S = 2;

let t: TestDatabase;
let db: Database;
beforeAll(async () => {
  t = await createTestDatabase('pool');
  // One connection, so a reused connection would be the very one still running the sleep.
  db = createDatabase(dbConfig(t.url, { poolMax: 1, queryTimeoutMs: QUERY_TIMEOUT_MS }));
});
afterAll(async () => {
  await db?.close();
  await t?.drop();
});

const SLEEP = `SELECT pg_sleep(${SLEEP_S})`;
const PID = 'SELECT pg_backend_pid() AS pid';

/** The connection's pid before and after `timingOut` fails on the client, and how long the second pid took. */
async function pidAfter(timingOut: () => Promise<unknown>, nextPid: () => Promise<number>): Promise<{ before: number; after: number; ms: number }> {
  const before = await nextPid();
  await expect(timingOut()).rejects.toThrow('Query read timeout');
  const start = Date.now();
  const after = await nextPid();
  return { before, after, ms: Date.now() - start };
}

it('when a Knex query times out on the client, then its connection is destroyed and the next query gets a new one at once', async () => {
  const knexPid = async () => ((await db.knex.raw<{ rows: { pid: number }[] }>(PID)).rows[0] as { pid: number }).pid;
  const r = await pidAfter(() => db.knex.raw(SLEEP).then(), knexPid);
  expect(r.after).not.toBe(r.before);
  expect(r.ms).toBeLessThan(SLEEP_S * 1000 - QUERY_TIMEOUT_MS); // did not queue behind the sleep
  expect(db.stats().total).toBe(1);
});

it('when a pool.query statement times out on the client, then its connection is destroyed and the next query gets a new one at once', async () => {
  const poolPid = async () => ((await db.pool.query<{ pid: number }>(PID)).rows[0] as { pid: number }).pid;
  const r = await pidAfter(() => db.pool.query(SLEEP), poolPid);
  expect(r.after).not.toBe(r.before);
  expect(r.ms).toBeLessThan(SLEEP_S * 1000 - QUERY_TIMEOUT_MS);
});
