// Classifies driver errors: "the database is unavailable" becomes a 503 DatabaseUnavailableError;
// anything else is rethrown unchanged (and ends as a 500 with the details only in the log).
import { DatabaseUnavailableError } from '../domain/errors.js';
import { isPoolAcquireTimeout } from './database.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  if (!e) return false;
  if (e.name === 'KnexTimeoutError' || isPoolAcquireTimeout(e)) return true; // no pool connection came free in time
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  // SQLSTATE class 08 (connection exception), 53 (insufficient resources: too many clients, out of
  // memory, disk full), 57014 (statement timeout), 57P01-57P03 (admin shutdown, crash, cannot
  // connect now), 55P03 (lock not available: lock_timeout), 58000 (system error)
  if (e.code && (/^(08|53)/.test(e.code) || /^57(014|P0[1-3])$/.test(e.code) || e.code === '55P03' || e.code === '58000')) return true;
  // pg's own: connect timeout, connection ended, client-side query timeout, a closed client.
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|Query read timeout|not queryable/i.test(e.message ?? '');
}

function classify(err: unknown): never {
  if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
  throw err;
}

/**
 * Maps a data-access call's "database unavailable" errors to DatabaseUnavailableError. A catch
 * rather than an async wrapper: one promise and one tick fewer per query (Promise.resolve returns
 * a native promise as it is, and adopts a Knex query builder, which is only thenable).
 */
export function guard<T>(work: PromiseLike<T>): Promise<T> {
  return Promise.resolve(work).catch(classify);
}
