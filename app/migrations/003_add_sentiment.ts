// Sentiment of the description, computed on write; indexed for `GET /items?sentiment=`.
import type { Knex } from 'knex';

// Shipped before the lint and applied on every deployed database; rewriting an applied migration
// is riskier than stating it. New indexes and checks use CONCURRENTLY / NOT VALID.
export const lintAllow = {
  'index-not-concurrent': 'shipped before the lint, applied on every deployed database',
  'constraint-not-valid': 'shipped before the lint, applied on every deployed database',
};

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('items', (t) => {
    t.string('sentiment', 16).nullable().index('ix_items_sentiment');
    t.double('sentiment_score').nullable();
  });
  await knex.raw("ALTER TABLE items ADD CONSTRAINT items_sentiment_label CHECK (sentiment IN ('positive', 'negative', 'neutral'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('items', (t) => {
    t.dropIndex('sentiment', 'ix_items_sentiment');
    t.dropColumn('sentiment');
    t.dropColumn('sentiment_score');
  });
}
