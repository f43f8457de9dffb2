// The lab's schema-evolution exercise: items gain an integer price (>= 0, default 0).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('items', (t) => {
    t.integer('price').notNullable().defaultTo(0);
  });
  await knex.raw('ALTER TABLE items ADD CONSTRAINT items_price_non_negative CHECK (price >= 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('items', (t) => {
    t.dropColumn('price'); // drops its check constraint too
  });
}
