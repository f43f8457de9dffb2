// The lab's schema-evolution exercise: items gain an integer price (>= 0, default 0).
// A lab database that did the exercise already has `price` (nullable): NULLs become 0, and the
// column gets this schema's type, default, NOT NULL and check.
import type { Knex } from 'knex';

// The type change and NOT NULL run only on the lab-adoption path (before this app serves the
// table); the check is added with the column, in the release that introduced price.
export const lintAllow = {
  'change-column-type': 'lab adoption only: a lab price column becomes integer before this app serves the table',
  'set-not-null': 'lab adoption only: a lab price column becomes NOT NULL before this app serves the table',
  'constraint-not-valid': 'shipped before the lint, applied on every deployed database; later checks are added NOT VALID',
};

export async function up(knex: Knex): Promise<void> {
  if (await knex.schema.hasColumn('items', 'price')) {
    await knex.raw('UPDATE items SET price = 0 WHERE price IS NULL');
    await knex.raw('ALTER TABLE items ALTER COLUMN price TYPE integer USING round(price)::integer, ALTER COLUMN price SET DEFAULT 0, ALTER COLUMN price SET NOT NULL');
  } else {
    await knex.schema.alterTable('items', (t) => {
      t.integer('price').notNullable().defaultTo(0);
    });
  }
  await knex.raw('ALTER TABLE items ADD CONSTRAINT items_price_non_negative CHECK (price >= 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('items', (t) => {
    t.dropColumn('price'); // drops its check constraint too
  });
}
