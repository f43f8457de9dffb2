// The migration lint: runs the pending pre-deploy migrations in one transaction, captures the SQL
// Knex sends (its 'query' event), rolls the transaction back, parses each statement with the real
// PostgreSQL parser (libpg-query, WASM) and checks it against migration-lint-rules.ts. Nothing it
// does is committed. A migration may allow a rule with a reason:
//   export const lintAllow = { 'change-column-type': 'only on the lab-adoption path, before any release serves' };
// Statements PostgreSQL refuses in a transaction (CREATE INDEX CONCURRENTLY, ...) are captured and
// checked but not executed by the dry run.
import type { Knex } from 'knex';
import { loadModule, parseSync, type RawStmt } from 'libpg-query';
import { cannotRunInTransaction, checkStatement, RULE_NAMES, RULES, type RuleContext, type RuleName } from './migration-lint-rules.js';
import { MigrationDefinitionError, type MigrationEntry } from './migration-entry.js';

export interface LintFinding {
  migration: string;
  rule: RuleName | 'unparsable';
  table: string;
  /** The statement as Knex sent it ($n placeholders), trimmed to 300 characters. */
  statement: string;
  message: string;
  /** The migration's stated reason, when it allows this rule (not a violation then). */
  allowedBecause?: string;
}

export interface LintReport {
  /** Migrations checked, in order. */
  checked: string[];
  violations: LintFinding[];
  allowed: LintFinding[];
}

export class MigrationLintError extends Error {
  constructor(readonly report: LintReport) {
    super(`migration lint failed:\n${report.violations.map(describeFinding).join('\n')}`);
    this.name = 'MigrationLintError';
  }
}

export function describeFinding(f: LintFinding): string {
  const why = f.allowedBecause ? ` (allowed: ${f.allowedBecause})` : '';
  return `migration ${f.migration}: rule ${f.rule}${f.table ? ` on table ${f.table}` : ''}${why}\n  statement: ${f.statement}\n  ${f.message}`;
}

/** The rules a migration module allows, with their reasons; a malformed lintAllow is a definition error. */
export function allowancesOf(entry: MigrationEntry): Map<RuleName, string> {
  const allow = entry.migration.lintAllow;
  if (allow === undefined) return new Map();
  if (!allow || typeof allow !== 'object') throw new MigrationDefinitionError(`migration ${entry.name}: lintAllow must be an object of rule -> reason`);
  const out = new Map<RuleName, string>();
  for (const [rule, reason] of Object.entries(allow)) {
    if (!RULE_NAMES.includes(rule as RuleName)) throw new MigrationDefinitionError(`migration ${entry.name}: lintAllow names unknown rule "${rule}" (rules: ${RULE_NAMES.join(', ')})`);
    if (typeof reason !== 'string' || !reason.trim()) throw new MigrationDefinitionError(`migration ${entry.name}: lintAllow["${rule}"] needs a reason`);
    out.set(rule as RuleName, reason.trim());
  }
  return out;
}

const trimmed = (sql: string) => {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
};

function parse(sql: string): RawStmt[] | Error {
  try {
    return parseSync(sql).stmts ?? [];
  } catch (err) {
    return err as Error;
  }
}

/** The text of one statement of a multi-statement string. */
function statementText(sql: string, raw: RawStmt): string {
  const start = raw.stmt_location ?? 0;
  return sql.slice(start, raw.stmt_len ? start + raw.stmt_len : undefined);
}

type PgConn = { query: (...args: unknown[]) => unknown };

/**
 * During the dry run, statements that cannot run in a transaction are answered with an empty
 * result instead of being sent (they would abort the transaction). Returns the undo.
 */
function skipNonTransactional(conn: PgConn): () => void {
  const query = conn.query;
  conn.query = function (this: unknown, ...args: unknown[]) {
    const config = args[0] as { text?: string } | string;
    const text = typeof config === 'string' ? config : config?.text;
    const cb = args.at(-1);
    if (text && typeof cb === 'function') {
      const stmts = parse(text);
      if (!(stmts instanceof Error) && stmts.length && stmts.every(cannotRunInTransaction)) {
        setImmediate(() => (cb as (e: null, r: unknown) => void)(null, { command: 'SKIPPED', rowCount: 0, rows: [], fields: [] }));
        return undefined;
      }
    }
    return query.apply(conn, args);
  };
  return () => {
    conn.query = query;
  };
}

interface Capture {
  /** The SQL each migration sent, by migration name (a failing statement included: it is emitted before it runs). */
  sql: Map<string, string[]>;
  /** The dry run stopped at this migration's error, if it did. */
  failure?: { migration: string; error: Error };
}

/** Runs the migrations in one transaction that is always rolled back, recording the SQL each sends. */
async function captureSql(knex: Knex, entries: readonly MigrationEntry[]): Promise<Capture> {
  const capture: Capture = { sql: new Map(entries.map((e) => [e.name, []])) };
  const trx = await knex.transaction();
  const conn = await (trx.client as { acquireConnection(): Promise<PgConn> }).acquireConnection();
  const restore = skipNonTransactional(conn);
  let current: string[] = [];
  const onQuery = (q: { sql?: string }) => {
    if (q.sql) current.push(q.sql);
  };
  trx.on('query', onQuery);
  try {
    for (const entry of entries) {
      current = capture.sql.get(entry.name)!;
      try {
        await entry.migration.up(trx);
      } catch (err) {
        capture.failure = { migration: entry.name, error: err as Error };
        break;
      }
    }
  } finally {
    trx.off('query', onQuery);
    restore();
    await trx.rollback().catch(() => undefined);
  }
  return capture;
}

/** Names of volatile functions (pg_proc.provolatile = 'v'), for the volatile-default rule. */
async function volatileFunctions(knex: Knex): Promise<Set<string>> {
  const rows = await knex('pg_catalog.pg_proc').distinct<{ proname: string }[]>('proname').where('provolatile', 'v');
  return new Set(rows.map((r) => r.proname));
}

/** Checks the captured SQL of each migration, in order. */
export function checkCaptured(entries: readonly MigrationEntry[], captured: Map<string, string[]>, isVolatile: (name: string) => boolean): LintReport {
  const ctx: RuleContext = { created: new Set(), isVolatile };
  const report: LintReport = { checked: entries.map((e) => e.name), violations: [], allowed: [] };
  for (const entry of entries) {
    const allow = allowancesOf(entry);
    for (const sql of captured.get(entry.name) ?? []) {
      const stmts = parse(sql);
      if (stmts instanceof Error) {
        report.violations.push({ migration: entry.name, rule: 'unparsable', table: '', statement: trimmed(sql), message: `the PostgreSQL parser rejects it: ${stmts.message}` });
        continue;
      }
      for (const raw of stmts) {
        for (const v of checkStatement(raw, ctx)) {
          const finding: LintFinding = { migration: entry.name, rule: v.rule, table: v.table, statement: trimmed(statementText(sql, raw)), message: RULES[v.rule] };
          const reason = allow.get(v.rule);
          if (reason) report.allowed.push({ ...finding, allowedBecause: reason });
          else report.violations.push(finding);
        }
      }
    }
  }
  return report;
}

/**
 * Lints `entries` (the pending pre-deploy migrations, in order) against the database as it is.
 * Throws MigrationLintError on a violation; the schema is left untouched either way.
 */
export async function lintMigrations(knex: Knex, entries: readonly MigrationEntry[]): Promise<LintReport> {
  entries.forEach(allowancesOf); // a malformed allowance fails before anything runs
  await loadModule();
  const volatile = await volatileFunctions(knex);
  const capture = await captureSql(knex, entries);
  // A lock timeout is retried by the caller; any other failure of the dry run would fail the real
  // run too, but a rule the SQL breaks up to that point is the better message.
  if ((capture.failure?.error as { code?: string } | undefined)?.code === '55P03') throw capture.failure!.error;
  const checked = capture.failure ? entries.slice(0, entries.findIndex((e) => e.name === capture.failure!.migration) + 1) : entries;
  const report = checkCaptured(checked, capture.sql, (name) => volatile.has(name.toLowerCase()));
  if (report.violations.length) throw new MigrationLintError(report);
  if (capture.failure) throw capture.failure.error;
  return report;
}
