// One migration of the image's list and the phase it declares (expand/contract): `pre` (the
// default: additive, safe while the previous release serves) or `post` (`export const phase =
// 'post'`: drops, renames, NOT NULL; run only once no old pod remains). Read from the module
// itself, so test images that add CommonJS migrations (`exports.phase = 'post'`) work too.
import type { Knex } from 'knex';

export type Phase = 'pre' | 'post';

/** Knex's record of applied migrations. */
export const MIGRATIONS_TABLE = 'knex_migrations';

/** What a migration module may export besides up/down: `phase`, and `lintAllow` (migration-lint.ts). */
export type MigrationModule = Knex.Migration & { phase?: unknown; lintAllow?: unknown; config?: { transaction?: boolean } };

export interface MigrationEntry {
  name: string;
  migration: MigrationModule;
}

export class MigrationDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationDefinitionError';
  }
}

/** The phase a migration module declares; absent means 'pre'. */
export function phaseOf(entry: MigrationEntry): Phase {
  const phase = entry.migration.phase;
  if (phase === undefined || phase === 'pre') return 'pre';
  if (phase === 'post') return 'post';
  throw new MigrationDefinitionError(`migration ${entry.name} exports phase ${JSON.stringify(phase)}: must be 'pre' or 'post'`);
}
