// The Knex instance (pg driver) with bounded timeouts, so a dead database fails requests fast
// instead of hanging them, and error listeners on every connection, so a Postgres restart is
// logged and the broken connection discarded rather than crashing the process.
import knexFactory, { type Knex } from 'knex';
import type { Client } from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { PoolStats } from '../observability/metrics.js';

export function createKnex(db: DatabaseConfig & { url: string }, log?: Logger): Knex {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: db.url,
      connectionTimeoutMillis: db.connectTimeoutMs,
      statement_timeout: db.statementTimeoutMs,
      application_name: 'fastapiapp',
    },
    pool: {
      min: db.poolMin,
      max: db.poolMax,
      // Knex marks a connection that emitted 'error' as disposed; we also log it.
      afterCreate(conn: Client, done: (err: Error | null, conn: Client) => void) {
        conn.on('error', (err) => log?.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'database connection error'));
        done(null, conn);
      },
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
    await Promise.race([selectOne(knex), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: describeDbError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** `select 1` on a pooled connection, without the query builder (probes run often). */
async function selectOne(knex: Knex): Promise<void> {
  const client = knex.client as { acquireConnection(): Promise<{ query(q: string): Promise<unknown> }>; releaseConnection(c: unknown): Promise<void> };
  const conn = await client.acquireConnection();
  try {
    await conn.query('SELECT 1');
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
