// The Knex instance (pg driver) with bounded timeouts, so a dead database fails requests fast
// instead of hanging them, and error listeners on every connection, so a Postgres restart is
// logged and the broken connection discarded rather than crashing the process.
// A stalled database (frozen host or partition: TCP open, nothing answers) is bounded too: every
// query has a client-side timeout a little above the server's statement_timeout, and a connection
// whose query timed out that way is never reused (its answer may still arrive; it is poisoned).
import knexFactory, { type Knex } from 'knex';
import type { Client } from 'pg';
import type { DatabaseConfig, MigrationConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { PoolStats } from '../observability/metrics.js';

/** The client-side bound on one query: the server's statement timeout plus a round trip's margin. */
export function queryTimeoutMs(db: Pick<DatabaseConfig, 'statementTimeoutMs' | 'queryTimeoutMs'>): number {
  return db.queryTimeoutMs ?? (db.statementTimeoutMs > 0 ? db.statementTimeoutMs + 1000 : 0);
}

/** pg's message for its client-side query_timeout. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

const POISONED = Symbol('fastapiapp.poisoned');
type PoolConnection = Client & { [POISONED]?: true };

/** A connection with an unanswered query must not be handed out again: the pool drops it. */
export function poisonIfTimedOut(conn: unknown, err: unknown): void {
  if ((err as Error | undefined)?.message === QUERY_READ_TIMEOUT) (conn as PoolConnection)[POISONED] = true;
}

/** Wraps conn.query (callback and promise forms, as Knex and our prepared statements use). */
function watchQueryTimeouts(conn: Client): void {
  const query = conn.query.bind(conn) as (...args: unknown[]) => unknown;
  (conn as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = (err: unknown, res: unknown) => {
        poisonIfTimedOut(conn, err);
        (cb as (e: unknown, r: unknown) => void)(err, res);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result instanceof Promise) result.catch((err: unknown) => poisonIfTimedOut(conn, err));
    return result;
  };
}

export function createKnex(db: DatabaseConfig & { url: string }, log?: Logger): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: db.url,
      connectionTimeoutMillis: db.connectTimeoutMs,
      statement_timeout: db.statementTimeoutMs,
      ...(db.lockTimeoutMs !== undefined ? { lock_timeout: db.lockTimeoutMs } : {}),
      query_timeout: queryTimeoutMs(db),
      // Detects a peer that vanished (host down, partition) on idle pooled connections.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'fastapiapp',
    },
    pool: {
      min: db.poolMin,
      max: db.poolMax,
      // Knex marks a connection that emitted 'error' as disposed; we also log it.
      afterCreate(conn: Client, done: (err: Error | null, conn: Client) => void) {
        conn.on('error', (err) => log?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'database connection error'));
        watchQueryTimeouts(conn);
        done(null, conn);
      },
      validate: (conn: PoolConnection) => !conn[POISONED],
      // Closing a connection to a stalled server never completes; do not wait on it for long.
      destroyTimeoutMillis: 1000,
    },
    acquireConnectionTimeout: db.acquireTimeoutMs,
    // Knex's own warnings go to our structured log, not console.log.
    log: {
      warn: (m: unknown) => log?.warn({ knex: String(m) }, 'knex warning'),
      error: (m: unknown) => log?.error({ knex: String(m) }, 'knex error'),
      deprecate: (m: unknown) => log?.warn({ knex: String(m) }, 'knex deprecation'),
      debug: (m: unknown) => log?.debug({ knex: String(m) }, 'knex debug'),
    },
  });
}

/** The pool migrations run on: their own statement and lock timeouts, no client-side query bound. */
export function createMigrationKnex(db: DatabaseConfig & { url: string }, m: MigrationConfig, log?: Logger): Knex {
  return createKnex({ ...db, poolMin: 0, poolMax: 2, statementTimeoutMs: m.statementTimeoutMs, queryTimeoutMs: 0, lockTimeoutMs: m.lockTimeoutMs }, log);
}

/** Pool occupancy for the db_pool_connections gauge. */
export function poolStats(knex: Knex): PoolStats {
  const pool = knex.client.pool as
    | { numUsed(): number; numFree(): number; numPendingAcquires(): number }
    | undefined;
  if (!pool) return { total: 0, idle: 0, waiting: 0 };
  const idle = pool.numFree();
  return { total: pool.numUsed() + idle, idle, waiting: pool.numPendingAcquires() };
}

/** True when `select 1` answers within timeoutMs. Never throws, never waits longer. */
export async function pingDatabase(knex: Knex, timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([selectOne(knex, timeoutMs), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: describeDbError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** `select 1` on a pooled connection, without the query builder (probes run often). */
async function selectOne(knex: Knex, timeoutMs: number): Promise<void> {
  const client = knex.client as { acquireConnection(): Promise<{ query(q: { text: string; query_timeout: number }): Promise<unknown> }>; releaseConnection(c: unknown): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    await conn.query({ text: 'SELECT 1', query_timeout: timeoutMs });
  } finally {
    await client.releaseConnection(conn);
  }
}

/** A short, client-safe description (no SQL, no host names, no credentials). */
export function describeDbError(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.code && /^[A-Z0-9_]+$/.test(e.code)) return `database unreachable (${e.code})`;
  if (e?.name === 'KnexTimeoutError') return 'database unreachable (pool acquire timeout)';
  if (e?.message?.startsWith('no answer within')) return `database unreachable (${e.message})`;
  return 'database unreachable';
}
