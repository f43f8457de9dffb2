// Readiness knows the schema: a pod whose database lacks a pre-deploy migration its image ships
// must not take traffic (it would answer 500s), so /readyz reports it. Post-deploy migrations may
// legitimately be pending while a release rolls out, and migrations the image does not ship (a
// database ahead of it, after a rollback) are fine. One small query, cached: an unsatisfied
// result is re-checked every couple of seconds, a satisfied one every 30 s (the database could be
// swapped or rolled back under a running pod, but not often).
import type pg from 'pg';
import type { SchemaResult } from '../http/deps.js';
import { describeDbError } from './database.js';
import { MIGRATIONS_TABLE, phaseOf, type MigrationEntry } from './migration-entry.js';


export interface SchemaCheckOptions {
  /** How long a satisfied result is reused; default 30 s. */
  satisfiedTtlMs?: number;
  /** How long an unsatisfied (or failed) result is reused; default 2 s. */
  unsatisfiedTtlMs?: number;
  now?: () => number;
}

/** The pre-deploy migrations of a list: what the serving code needs. */
export function requiredMigrations(list: readonly MigrationEntry[]): string[] {
  return list.filter((m) => phaseOf(m) === 'pre').map((m) => m.name);
}

/** Reads the applied migration names on `pool` (the probe's own connection), bounded by timeoutMs; no migrations table reads as none applied. */
export function appliedMigrationNames(pool: pg.Pool, timeoutMs: number): () => Promise<string[]> {
  return async () => {
    try {
      const q: pg.QueryConfig & { query_timeout: number } = { text: `SELECT name FROM ${MIGRATIONS_TABLE}`, query_timeout: timeoutMs };
      const r = await pool.query<{ name: string }>(q);
      return r.rows.map((row) => row.name);
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return []; // undefined_table: never migrated
      throw err;
    }
  };
}

export class SchemaCheck {
  #inFlight: Promise<SchemaResult> | undefined;
  #last: { at: number; result: SchemaResult } | undefined;
  readonly #satisfiedTtlMs: number;
  readonly #unsatisfiedTtlMs: number;
  readonly #now: () => number;

  constructor(private readonly readApplied: () => Promise<string[]>, private readonly required: readonly string[], opts: SchemaCheckOptions = {}) {
    this.#satisfiedTtlMs = opts.satisfiedTtlMs ?? 30_000;
    this.#unsatisfiedTtlMs = opts.unsatisfiedTtlMs ?? 2_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The cached result while fresh, else one query (shared by concurrent callers). Never throws. */
  check(): Promise<SchemaResult> {
    const last = this.#last;
    if (last && this.#now() - last.at < (last.result.ok ? this.#satisfiedTtlMs : this.#unsatisfiedTtlMs)) return Promise.resolve(last.result);
    this.#inFlight ??= this.#query().then((result) => {
      this.#last = { at: this.#now(), result };
      this.#inFlight = undefined;
      return result;
    });
    return this.#inFlight;
  }

  async #query(): Promise<SchemaResult> {
    try {
      const applied = new Set(await this.readApplied());
      const missing = this.required.filter((name) => !applied.has(name));
      return missing.length ? { ok: false, missing } : { ok: true };
    } catch (err) {
      return { ok: false, error: describeDbError(err) };
    }
  }
}
