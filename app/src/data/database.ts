// The database connections: one pg pool per process, with bounded timeouts, so a dead database
// fails requests fast instead of hanging them, and error listeners on every connection, so a
// Postgres restart is logged and the broken connection dropped rather than crashing the process.
// The hot statements (read by id, insert) run on that pool directly, as a bare pg server would;
// Knex and Objection run everything else on the same pool (Knex's `connectionPool`), so there is
// one set of connections, one limit and one gauge.
// A stalled database (frozen host or partition: TCP open, nothing answers) is bounded too: every
// query has a client-side timeout a little above the server's statement_timeout, and a connection
// whose query timed out that way is never reused (its answer may still arrive).
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig, MigrationConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { outsideRequest } from '../observability/request-scope.js';
import type { PoolStats } from '../observability/metrics.js';

type Db = DatabaseConfig & { url: string };

/** The client-side bound on one query: the server's statement timeout plus a round trip's margin. */
export function queryTimeoutMs(db: Pick<DatabaseConfig, 'statementTimeoutMs' | 'queryTimeoutMs'>): number {
  return db.queryTimeoutMs ?? (db.statementTimeoutMs > 0 ? db.statementTimeoutMs + 1000 : 0);
}

/** pg's message for its client-side query_timeout. */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

/** pg-pool's message when no connection came free within connectionTimeoutMillis. */
const POOL_ACQUIRE_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * pg lets the URL's ssl parameters replace an explicit `ssl`: with DATABASE_CA_* set they are
 * dropped, so the connection verifies the chain against that CA and the host name (Node's TLS
 * default), as libpq's sslmode=verify-full does.
 */
function withoutSslParameters(url: string): string {
  const u = new URL(url);
  for (const p of ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat']) u.searchParams.delete(p);
  return u.toString();
}

/** What every connection is opened with (the serving pool, the migration pool and db-role.ts alike). */
export function connectionSettings(db: Db): pg.ClientConfig {
  return {
    ...(db.tls ? { connectionString: withoutSslParameters(db.url), ssl: { ca: db.tls.ca, rejectUnauthorized: true } } : { connectionString: db.url }),
    connectionTimeoutMillis: db.connectTimeoutMs,
    statement_timeout: db.statementTimeoutMs,
    ...(db.lockTimeoutMs !== undefined ? { lock_timeout: db.lockTimeoutMs } : {}),
    query_timeout: queryTimeoutMs(db),
    // Detects a peer that vanished (host down, partition) on idle pooled connections.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'fastapiapp',
  };
}

/** Knex's own warnings go to our structured log, not console.log. */
function knexLog(log?: Logger): Knex.Config['log'] {
  return {
    warn: (m: unknown) => log?.warn({ knex: String(m) }, 'knex warning'),
    error: (m: unknown) => log?.error({ knex: String(m) }, 'knex error'),
    deprecate: (m: unknown) => log?.warn({ knex: String(m) }, 'knex deprecation'),
    debug: (m: unknown) => log?.debug({ knex: String(m) }, 'knex debug'),
  };
}

function logConnectionErrors(conn: pg.Client, log?: Logger): void {
  // A pooled connection serves many requests: its events are no single request's.
  conn.on('error', (err) => outsideRequest(() => log?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'database connection error')));
}

/**
 * A connection whose query timed out on the client side still owes an answer: it must not be
 * handed out again. pool.query() already destroys a connection released with an error; for
 * connections Knex checked out, Knex's pg-pool adapter destroys one marked `__knex__disposed`.
 */
function disposeAfterQueryTimeouts(conn: pg.Client): void {
  const mark = (err: unknown) => {
    if ((err as Error | undefined)?.message === QUERY_READ_TIMEOUT) (conn as pg.Client & { __knex__disposed?: unknown }).__knex__disposed = err;
  };
  const query = conn.query.bind(conn) as (...args: unknown[]) => unknown;
  (conn as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = (err: unknown, res: unknown) => {
        mark(err);
        (cb as (e: unknown, r: unknown) => void)(err, res);
      };
      return query(...args);
    }
    const result = query(...args);
    if (result instanceof Promise) result.catch(mark);
    return result;
  };
}

/** The serving database: the pool, Knex on top of it, its occupancy, and closing both. */
export interface Database {
  readonly pool: pg.Pool;
  /**
   * One connection of its own for health checks: a ping never queues behind the serving pool, so a
   * slow database (queries held by a lock, long statements, every connection busy) does not make
   * every replica unready at once; an unreachable one still does.
   */
  readonly probePool: pg.Pool;
  readonly knex: Knex;
  stats(): PoolStats;
  close(): Promise<void>;
}

export function createDatabase(db: Db, log?: Logger): Database {
  // pg-pool hands its own options to every new client, so its acquire bound would also become the
  // connect bound: the client class keeps DB_CONNECT_TIMEOUT_MS for connecting.
  const settings = connectionSettings(db);
  class BoundedClient extends pg.Client {
    constructor(options?: pg.ClientConfig) {
      super({ ...options, connectionTimeoutMillis: settings.connectionTimeoutMillis });
    }
  }
  const pool = new pg.Pool({
    ...settings,
    Client: BoundedClient,
    min: db.poolMin,
    max: db.poolMax,
    // How long a query may wait for a free connection (pg-pool also bounds a new connection by it).
    connectionTimeoutMillis: db.acquireTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  pool.on('connect', (conn) => {
    logConnectionErrors(conn, log);
    disposeAfterQueryTimeouts(conn);
  });
  // An idle connection's error is logged by its own listener; the pool drops that connection and
  // re-emits the error here, where an unhandled 'error' would end the process.
  pool.on('error', () => undefined);
  const knex = knexFactory({ client: 'pg', connectionPool: pool, log: knexLog(log) });
  const probePool = new pg.Pool({ ...settings, application_name: 'fastapiapp-probe', max: 1, idleTimeoutMillis: 0 });
  probePool.on('connect', (conn) => logConnectionErrors(conn, log));
  probePool.on('error', () => undefined);
  return {
    pool,
    probePool,
    knex,
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    // Knex does not end a pool it was given. pool.end() waits only for checked-out connections
    // (bounded by the query timeout); closing one to a stalled server is not waited for.
    close: async () => {
      await knex.destroy();
      await Promise.all([pool.end(), probePool.end()]);
    },
  };
}

/**
 * The pool migrations run on (Knex's own): their own statement and lock timeouts, no client-side
 * query bound. `sessions`, when given, holds the server process id of each open connection (for
 * terminateSessions).
 */
export function createMigrationKnex(db: Db, m: MigrationConfig, log?: Logger, sessions?: Set<number>): Knex {
  const settings = connectionSettings({ ...db, statementTimeoutMs: m.statementTimeoutMs, queryTimeoutMs: 0, lockTimeoutMs: m.lockTimeoutMs });
  return knexFactory({
    client: 'pg',
    connection: settings as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: 2,
      // Knex marks a connection that emitted 'error' as disposed; we also log it.
      afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
        logConnectionErrors(conn, log);
        const pid = (conn as pg.Client & { processID?: number | null }).processID;
        if (sessions && pid) {
          sessions.add(pid);
          conn.once('end', () => sessions.delete(pid));
        }
        done(null, conn);
      },
      // Closing a connection to a stalled server never completes; do not wait on it for long.
      destroyTimeoutMillis: 1000,
    },
    acquireConnectionTimeout: db.acquireTimeoutMs,
    log: knexLog(log),
  });
}

/**
 * Ends these server sessions (pg_terminate_backend) from a connection of its own; resolves with
 * how many ended. Their open transactions roll back and their session locks (the migration
 * advisory lock) go at once, even mid-statement: a client that merely exits leaves its statement
 * running on the server until the server next writes to it.
 */
export async function terminateSessions(db: Db, pids: readonly number[]): Promise<number> {
  if (pids.length === 0) return 0;
  const client = new pg.Client({ ...connectionSettings(db), application_name: 'fastapiapp-migrate-stop' });
  await client.connect();
  try {
    const r = await client.query<{ ended: boolean }>('select pg_terminate_backend(pid) as ended from unnest($1::int[]) as pid', [[...pids]]);
    return r.rows.filter((row) => row.ended).length;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when `select 1` answers within timeoutMs. Never throws, never waits longer. */
export async function pingDatabase(pool: pg.Pool, timeoutMs: number): Promise<{ ok: true } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // A query that times out releases its connection with the error: the pool destroys it.
    const ping: pg.QueryConfig & { query_timeout: number } = { text: 'SELECT 1', query_timeout: timeoutMs };
    await Promise.race([pool.query(ping), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: describeDbError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** True for pg-pool's "no connection came free in time". */
export function isPoolAcquireTimeout(err: unknown): boolean {
  return (err as { message?: string } | undefined)?.message === POOL_ACQUIRE_TIMEOUT;
}

/** A short, client-safe description (no SQL, no host names, no credentials). */
export function describeDbError(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.code && /^[A-Z0-9_]+$/.test(e.code)) return `database unreachable (${e.code})`;
  if (e?.name === 'KnexTimeoutError' || isPoolAcquireTimeout(err)) return 'database unreachable (pool acquire timeout)';
  if (e?.message?.startsWith('no answer within')) return `database unreachable (${e.message})`;
  return 'database unreachable';
}
