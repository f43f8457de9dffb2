// Knex migration settings shared by start.ts (embedded database), migrate.ts (CLI / k8s Job) and tests.
// Migrations come in two phases (expand/contract): `pre` (the default: additive, safe while the
// previous release serves) and `post` (`export const phase = 'post'`: drops, renames, NOT NULL,
// run only once no old pod remains). The database records each applied migration's phase in
// fastapiapp_migration_phases, so an older image (a rollback) can tell whether the newer
// migrations it does not ship were contract migrations, which it cannot run against.
import type { Knex } from 'knex';
import { migrations as shipped } from '../../migrations/index.js';
import { MIGRATIONS_TABLE, phaseOf, type MigrationEntry, type Phase } from './migration-entry.js';
import { lintMigrations, type LintReport } from './migration-lint.js';

export { MIGRATIONS_TABLE, MigrationDefinitionError, phaseOf, type MigrationEntry, type Phase } from './migration-entry.js';

/** The image's migrations, in order (app/migrations/index.ts; test images replace its compiled index.js). */
export const migrations: readonly MigrationEntry[] = shipped;

/** The app's own record of each applied migration's phase. */
export const PHASES_TABLE = 'fastapiapp_migration_phases';

/**
 * A Knex source over `list` whose migrations also record (up) or forget (down) their phase, in
 * the migration's own transaction, so the record and the schema change commit together.
 * Names carry no extension, so ts and compiled js agree.
 */
export function createMigrationSource(list: readonly MigrationEntry[]): Knex.MigrationSource<MigrationEntry> {
  return {
    getMigrations: async () => [...list],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => {
      const phase = phaseOf(m);
      return {
        ...m.migration,
        up: async (knex: Knex) => {
          await m.migration.up(knex);
          await knex(PHASES_TABLE).insert({ name: m.name, phase }).onConflict('name').merge();
        },
        down: async (knex: Knex) => {
          await m.migration.down?.(knex);
          await knex(PHASES_TABLE).where({ name: m.name }).delete();
        },
      };
    },
  };
}

/** Serves the image's migrations. */
export const migrationSource = createMigrationSource(migrations);

const baseConfig: Knex.MigratorConfig = {
  tableName: MIGRATIONS_TABLE,
  // The default, stated because it matters: each migration runs in a transaction, and a concurrent
  // run waits on Knex's lock, then finds nothing left to do.
  disableTransactions: false,
};

export const migratorConfig: Knex.MigratorConfig = { ...baseConfig, migrationSource };

/**
 * For runs that tolerate a database ahead of the image: the list comparison Knex makes (it refuses
 * with "The migration directory is corrupt, the following files are missing") is done here first,
 * with the phases, and Knex's is switched off. Knex then runs exactly the listed migrations it
 * finds unapplied and ignores applied ones it does not know.
 */
function toleratingConfig(list: readonly MigrationEntry[]): Knex.MigratorConfig {
  return { ...baseConfig, migrationSource: createMigrationSource(list), disableMigrationsListValidation: true };
}

// Knex's lock row protects runs against an existing schema, but two first runs on an empty
// database race creating the lock table itself (and both insert a lock row): serialise whole runs
// with a session-level Postgres advisory lock instead. Needs a pool of at least 2 connections.
// The lock is polled (pg_try_advisory_lock), so a second run waits a bounded time, then says why.
const ADVISORY_LOCK_KEY = 7_413_920_118; // arbitrary, constant: "fastapiapp migrations"

export class MigrationLockedError extends Error {
  constructor(waitMs: number) {
    super(`another migration run has held the migration lock for over ${waitMs} ms; try again when it has finished`);
    this.name = 'MigrationLockedError';
  }
}

export interface MigrateOptions {
  /** Attempts after a lock timeout (55P03) before giving up; default 0. */
  lockRetries?: number;
  /** Pause before retry n is n times this (capped at 5 s); default 1000. */
  retryDelayMs?: number;
  /** Longest wait for a concurrent run to finish; default 10 min. */
  waitMs?: number;
  /** Told about each retry. */
  onRetry?: (attempt: number, err: Error) => void;
  /** The migrations this image ships; default the app's list (tests pass older and newer lists). */
  migrations?: readonly MigrationEntry[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withMigrationLock<T>(knex: Knex, waitMs: number, work: () => Promise<T>): Promise<T> {
  const conn: unknown = await knex.client.acquireConnection();
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const r = await knex.raw<{ rows: { locked: boolean }[] }>('select pg_try_advisory_lock(?) as locked', [ADVISORY_LOCK_KEY]).connection(conn);
      if (r.rows[0]?.locked) break;
      if (Date.now() >= deadline) throw new MigrationLockedError(waitMs);
      await sleep(Math.min(250, Math.max(deadline - Date.now(), 0)));
    }
    try {
      return await work();
    } finally {
      await knex.raw('select pg_advisory_unlock(?)', [ADVISORY_LOCK_KEY]).connection(conn).catch(() => undefined);
    }
  } finally {
    await knex.client.releaseConnection(conn);
  }
}

/** 55P03: a statement gave up waiting for a lock (lock_timeout). Its migration's transaction rolled back. */
function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '55P03';
}

export async function retryingLockTimeouts<T>(opts: MigrateOptions, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isLockTimeout(err) || attempt > (opts.lockRetries ?? 0)) throw err;
      opts.onRetry?.(attempt, err as Error);
      await sleep(Math.min((opts.retryDelayMs ?? 1000) * attempt, 5000));
    }
  }
}

/** A migration the database has applied. */
export interface AppliedMigration {
  name: string;
  /** As recorded in the phase table; undefined for one applied before phases were recorded. */
  phase: Phase | undefined;
  appliedAt: Date;
}

/** The database's migrations against the image's list. Read-only; creates nothing. */
export interface SchemaState {
  applied: AppliedMigration[];
  /** Applied migrations this image does not ship (the database is ahead: a rollback). */
  ahead: AppliedMigration[];
  /** Newer contract migrations among `ahead`: this image must not run against them. */
  blocking: AppliedMigration[];
  pendingPre: string[];
  pendingPost: string[];
  /** The last applied migration, or null. */
  head: string | null;
}

export async function readSchemaState(knex: Knex, list: readonly MigrationEntry[] = migrations): Promise<SchemaState> {
  const rows = (await knex.schema.hasTable(MIGRATIONS_TABLE))
    ? await knex(MIGRATIONS_TABLE).select<{ name: string; migration_time: Date }[]>('name', 'migration_time').orderBy('id')
    : [];
  const phases = new Map<string, { phase: Phase; applied_at: Date }>();
  if (await knex.schema.hasTable(PHASES_TABLE)) {
    for (const r of await knex(PHASES_TABLE).select<{ name: string; phase: Phase; applied_at: Date }[]>('name', 'phase', 'applied_at')) phases.set(r.name, r);
  }
  const applied = rows.map((r) => ({ name: r.name, phase: phases.get(r.name)?.phase, appliedAt: phases.get(r.name)?.applied_at ?? r.migration_time }));
  const known = new Set(list.map((m) => m.name));
  const done = new Set(applied.map((a) => a.name));
  const ahead = applied.filter((a) => !known.has(a.name));
  const pending = list.filter((m) => !done.has(m.name));
  return {
    applied,
    ahead,
    // A newer migration applied before phases were recorded is taken as 'pre': every migration
    // before this feature was additive (the project had no contract migrations).
    blocking: ahead.filter((a) => a.phase === 'post'),
    pendingPre: pending.filter((m) => phaseOf(m) === 'pre').map((m) => m.name),
    pendingPost: pending.filter((m) => phaseOf(m) === 'post').map((m) => m.name),
    head: applied.at(-1)?.name ?? null,
  };
}

/** Creates the phase table and records the phase of applied migrations this image knows but the table lacks (applied before phases were recorded). */
async function recordPhases(knex: Knex, list: readonly MigrationEntry[]): Promise<void> {
  await knex.raw(`create table if not exists ${PHASES_TABLE} (
    name varchar(255) primary key,
    phase text not null check (phase in ('pre', 'post')),
    applied_at timestamptz not null default now())`);
  if (!(await knex.schema.hasTable(MIGRATIONS_TABLE))) return;
  const applied = await knex(MIGRATIONS_TABLE).select<{ name: string; migration_time: Date }[]>('name', 'migration_time');
  const byName = new Map(list.map((m) => [m.name, m]));
  const rows = applied.filter((a) => byName.has(a.name)).map((a) => ({ name: a.name, phase: phaseOf(byName.get(a.name)!), applied_at: a.migration_time }));
  if (rows.length) await knex(PHASES_TABLE).insert(rows).onConflict('name').ignore();
}

export type RunCommand = 'pre' | 'post' | 'latest';

export type RunResult = 'applied' | 'upToDate' | 'ahead' | 'blocked';

export interface RunOutcome {
  result: RunResult;
  /** Migrations this run applied, in order. */
  applied: string[];
  head: string | null;
  ahead: AppliedMigration[];
  /** The first newer contract migration, when the run was refused. */
  blockedBy: AppliedMigration | null;
  pendingPost: string[];
  message: string;
}

export interface RunOptions extends MigrateOptions {
  /** Lint the pending pre-deploy migrations first (migration-lint.ts); a violation throws MigrationLintError. */
  lint?: boolean;
}

/** "rollback blocked by contract migration 006_drop_x, applied 2026-...". */
function blockedMessage(blocking: AppliedMigration[]): string {
  const first = blocking[0]!;
  const more = blocking.length > 1 ? ` (and ${blocking.length - 1} more contract migration${blocking.length > 2 ? 's' : ''})` : '';
  return `rollback blocked by contract migration ${first.name}, applied ${first.appliedAt.toISOString()}${more}: this image cannot run against the schema it left`;
}

function aheadMessage(n: number, applied: string[]): string {
  const base = `database is ${n} migration${n === 1 ? '' : 's'} ahead of this image`;
  return applied.length ? `${base}; applied ${applied.join(', ')}` : `${base}; nothing to do`;
}

/**
 * `pre`: the pending pre-deploy migrations (one Knex batch). `post` and `latest`: those, then the
 * pending post-deploy ones (a second batch), the same order a release takes. A database ahead of
 * the image is fine unless a newer migration is a contract one: then nothing runs, result 'blocked'.
 */
export async function runMigrations(knex: Knex, command: RunCommand, opts: RunOptions = {}): Promise<RunOutcome> {
  const list = opts.migrations ?? migrations;
  list.forEach(phaseOf); // a bad phase export fails before anything runs
  return withMigrationLock(knex, opts.waitMs ?? 600_000, async () => {
    await recordPhases(knex, list);
    const before = await readSchemaState(knex, list);
    if (before.blocking.length) {
      return { result: 'blocked', applied: [], head: before.head, ahead: before.ahead, blockedBy: before.blocking[0]!, pendingPost: before.pendingPost, message: blockedMessage(before.blocking) };
    }
    if (opts.lint && before.pendingPre.length) {
      const pending = list.filter((m) => before.pendingPre.includes(m.name));
      await retryingLockTimeouts(opts, () => lintMigrations(knex, pending));
    }
    const latest = async (entries: readonly MigrationEntry[]) => {
      const [, names] = (await retryingLockTimeouts(opts, () => knex.migrate.latest(toleratingConfig(entries)))) as [number, string[]];
      return names;
    };
    const applied = await latest(list.filter((m) => phaseOf(m) === 'pre'));
    if (command !== 'pre') applied.push(...(await latest(list)));
    const after = await readSchemaState(knex, list);
    const result: RunResult = after.ahead.length ? 'ahead' : applied.length ? 'applied' : 'upToDate';
    const message = after.ahead.length ? aheadMessage(after.ahead.length, applied) : applied.length ? `applied ${applied.join(', ')}` : 'already up to date';
    return { result, applied, head: after.head, ahead: after.ahead, blockedBy: null, pendingPost: after.pendingPost, message };
  });
}

export class RollbackBlockedError extends Error {
  constructor(readonly outcome: RunOutcome) {
    super(outcome.message);
    this.name = 'RollbackBlockedError';
  }
}

/** Pre then post (npm start, local use, tests): the names applied. Throws RollbackBlockedError when a newer contract migration was applied. */
export async function migrateLatest(knex: Knex, opts: MigrateOptions = {}): Promise<string[]> {
  const outcome = await runMigrations(knex, 'latest', opts);
  if (outcome.result === 'blocked') throw new RollbackBlockedError(outcome);
  return outcome.applied;
}

export class DatabaseAheadError extends Error {
  constructor(ahead: AppliedMigration[]) {
    super(`the database has ${ahead.length} migration(s) this image does not ship (${ahead.map((a) => a.name).join(', ')}): roll back with the image that applied them`);
    this.name = 'DatabaseAheadError';
  }
}

/** Reverts the last batch (or all): only with the image that applied them. */
export async function migrateRollback(knex: Knex, all = false, opts: MigrateOptions = {}): Promise<string[]> {
  const list = opts.migrations ?? migrations;
  return withMigrationLock(knex, opts.waitMs ?? 600_000, async () => {
    await recordPhases(knex, list);
    const state = await readSchemaState(knex, list);
    if (state.ahead.length) throw new DatabaseAheadError(state.ahead);
    return retryingLockTimeouts(opts, async () => {
      const [, names] = (await knex.migrate.rollback({ ...baseConfig, migrationSource: createMigrationSource(list) }, all)) as [number, string[]];
      return names;
    });
  });
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations this image does not ship. */
  ahead: string[];
  pendingPost: string[];
}

export async function migrationStatus(knex: Knex, list: readonly MigrationEntry[] = migrations): Promise<MigrationStatus> {
  const state = await readSchemaState(knex, list);
  const pending = new Set([...state.pendingPre, ...state.pendingPost]);
  return {
    applied: state.applied.map((a) => a.name),
    pending: list.filter((m) => pending.has(m.name)).map((m) => m.name),
    ahead: state.ahead.map((a) => a.name),
    pendingPost: state.pendingPost,
  };
}

/** `migrate lint`: lints the pending pre-deploy migrations (under the migration lock, committing nothing). */
export async function lintPending(knex: Knex, opts: MigrateOptions = {}): Promise<{ report: LintReport; state: SchemaState }> {
  const list = opts.migrations ?? migrations;
  list.forEach(phaseOf);
  return withMigrationLock(knex, opts.waitMs ?? 600_000, async () => {
    const state = await readSchemaState(knex, list);
    const pending = list.filter((m) => state.pendingPre.includes(m.name));
    const report = await retryingLockTimeouts(opts, () => lintMigrations(knex, pending));
    return { report, state };
  });
}
