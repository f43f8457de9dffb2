// The rules of the migration lint: what a pre-deploy (expand) migration must not do to a table
// that already exists, because the release still serving needs it unchanged, or because the
// statement locks it out for a table scan or rewrite. Modelled on strong_migrations and squawk.
// Pure: statements come parsed by the real PostgreSQL parser (libpg-query); tables created
// earlier in the same batch are new, and anything goes on those.
import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar, RawStmt } from 'libpg-query';

export const RULES = {
  'drop-table': 'DROP TABLE: the release still serving reads it. Stop using it, then drop it in a post-deploy migration',
  'drop-column': 'DROP COLUMN: the release still serving reads it. Stop using it, then drop it in a post-deploy migration',
  'rename-table': 'RENAME of a table: the release still serving uses the old name. Create the new one, write both, backfill, switch reads, drop the old one post-deploy',
  'rename-column': 'RENAME COLUMN: the release still serving uses the old name. Add the new column, write both, backfill, switch reads, drop the old one post-deploy',
  'change-column-type': 'ALTER COLUMN TYPE: rewrites the table under an ACCESS EXCLUSIVE lock and can break the serving release. Add a column of the new type, backfill, switch, drop the old one post-deploy',
  'set-not-null': 'SET NOT NULL: scans the table under an ACCESS EXCLUSIVE lock, and the serving release may still write NULLs. Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL post-deploy',
  'add-required-column': 'ADD COLUMN ... NOT NULL without a default: the serving release does not write it, so its inserts fail. Add it nullable or with a constant default',
  'volatile-default': 'ADD COLUMN with a volatile default (or a serial type): rewrites the table under an ACCESS EXCLUSIVE lock. Add the column without a default, then set the default and backfill in batches',
  'index-not-concurrent': 'CREATE INDEX without CONCURRENTLY on an existing table: blocks writes while it builds. Use CREATE INDEX CONCURRENTLY in a migration with `export const config = { transaction: false }`',
  'constraint-not-valid': 'ADD CONSTRAINT CHECK/FOREIGN KEY without NOT VALID: scans the table under lock. Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration',
  'unique-constraint': 'ADD UNIQUE/PRIMARY KEY: builds its index under an ACCESS EXCLUSIVE lock. CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX',
} as const;

export type RuleName = keyof typeof RULES;

export const RULE_NAMES = Object.keys(RULES) as RuleName[];

export interface Violation {
  rule: RuleName;
  /** The table concerned. */
  table: string;
}

export interface RuleContext {
  /** Tables created earlier in this batch (lower-case, unqualified): exempt. */
  created: Set<string>;
  /** True for a volatile function name (pg_proc.provolatile = 'v'). */
  isVolatile: (name: string) => boolean;
}

const relName = (r: RangeVar | undefined): string => (r?.relname ?? '').toLowerCase();

function strings(nodes: Node[] | undefined): string[] {
  return (nodes ?? []).flatMap((n) => ('String' in n && n.String.sval !== undefined ? [n.String.sval] : []));
}

/** Every function called anywhere in an expression tree. */
function functionNames(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) functionNames(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'FuncCall') out.push(strings((value as { funcname?: Node[] }).funcname).at(-1) ?? '');
      functionNames(value, out);
    }
  }
  return out;
}

const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

function constraintsOf(col: ColumnDef): Constraint[] {
  return (col.constraints ?? []).flatMap((c) => ('Constraint' in c ? [c.Constraint] : []));
}

function addColumnRules(col: ColumnDef, ctx: RuleContext): RuleName[] {
  const constraints = constraintsOf(col);
  const defaults = constraints.filter((c) => c.contype === 'CONSTR_DEFAULT');
  const type = strings(col.typeName?.names).at(-1)?.toLowerCase() ?? '';
  const rules: RuleName[] = [];
  if (SERIAL_TYPES.has(type) || defaults.some((d) => functionNames(d.raw_expr).some(ctx.isVolatile))) rules.push('volatile-default');
  const generated = constraints.some((c) => c.contype === 'CONSTR_GENERATED' || c.contype === 'CONSTR_IDENTITY');
  if (constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY') && !defaults.length && !generated && !SERIAL_TYPES.has(type)) {
    rules.push('add-required-column');
  }
  for (const c of constraints) rules.push(...constraintRules(c));
  return rules;
}

function constraintRules(c: Constraint): RuleName[] {
  if ((c.contype === 'CONSTR_CHECK' || c.contype === 'CONSTR_FOREIGN') && !c.skip_validation) return ['constraint-not-valid'];
  if ((c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY') && !c.indexname) return ['unique-constraint'];
  return [];
}

function alterTableCmdRules(cmd: AlterTableCmd, ctx: RuleContext): RuleName[] {
  switch (cmd.subtype) {
    case 'AT_DropColumn':
      return ['drop-column'];
    case 'AT_AlterColumnType':
      return ['change-column-type'];
    case 'AT_SetNotNull':
      return ['set-not-null'];
    case 'AT_AddColumn':
      return cmd.def && 'ColumnDef' in cmd.def ? addColumnRules(cmd.def.ColumnDef, ctx) : [];
    case 'AT_AddConstraint':
      return cmd.def && 'Constraint' in cmd.def ? constraintRules(cmd.def.Constraint) : [];
    default:
      return [];
  }
}

/** The rules one parsed statement breaks; records the tables it creates in ctx.created. */
export function checkStatement(raw: RawStmt, ctx: RuleContext): Violation[] {
  const stmt = raw.stmt;
  if (!stmt) return [];
  const on = (table: string, rules: RuleName[]): Violation[] => (ctx.created.has(table) ? [] : rules.map((rule) => ({ rule, table })));
  if ('CreateStmt' in stmt) {
    ctx.created.add(relName(stmt.CreateStmt.relation));
  } else if ('CreateTableAsStmt' in stmt) {
    ctx.created.add(relName(stmt.CreateTableAsStmt.into?.rel));
  } else if ('DropStmt' in stmt && stmt.DropStmt.removeType === 'OBJECT_TABLE') {
    return (stmt.DropStmt.objects ?? []).flatMap((o) => ('List' in o ? on((strings(o.List.items).at(-1) ?? '').toLowerCase(), ['drop-table']) : []));
  } else if ('RenameStmt' in stmt) {
    const r = stmt.RenameStmt;
    if (r.renameType === 'OBJECT_TABLE') return on(relName(r.relation), ['rename-table']);
    if (r.renameType === 'OBJECT_COLUMN') return on(relName(r.relation), ['rename-column']);
  } else if ('AlterTableStmt' in stmt && stmt.AlterTableStmt.objtype === 'OBJECT_TABLE') {
    const table = relName(stmt.AlterTableStmt.relation);
    const cmds = (stmt.AlterTableStmt.cmds ?? []).flatMap((c) => ('AlterTableCmd' in c ? [c.AlterTableCmd] : []));
    return on(table, [...new Set(cmds.flatMap((c) => alterTableCmdRules(c, ctx)))]);
  } else if ('IndexStmt' in stmt && !stmt.IndexStmt.concurrent) {
    return on(relName(stmt.IndexStmt.relation), ['index-not-concurrent']);
  }
  return [];
}

/** True for a statement PostgreSQL refuses inside a transaction block (the lint's dry run skips it). */
export function cannotRunInTransaction(raw: RawStmt): boolean {
  const stmt = raw.stmt;
  if (!stmt) return false;
  if ('IndexStmt' in stmt) return Boolean(stmt.IndexStmt.concurrent);
  if ('DropStmt' in stmt) return Boolean(stmt.DropStmt.concurrent);
  if ('ReindexStmt' in stmt) return (stmt.ReindexStmt.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
  return 'VacuumStmt' in stmt;
}
