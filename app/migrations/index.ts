// Every migration, in order. A static list (rather than a directory scan) loads the same way from
// the TypeScript sources (tests) and the compiled dist/ (image), and names carry no file extension.
import type { Knex } from 'knex';
import * as createItems from './001_create_items.js';
import * as addPrice from './002_add_price.js';
import * as addSentiment from './003_add_sentiment.js';
import * as addUpdatedAt from './004_add_updated_at.js';
import * as createIdempotencyKeys from './005_create_idempotency_keys.js';

export const migrations: ReadonlyArray<{ name: string; migration: Knex.Migration }> = [
  { name: '001_create_items', migration: createItems },
  { name: '002_add_price', migration: addPrice },
  { name: '003_add_sentiment', migration: addSentiment },
  { name: '004_add_updated_at', migration: addUpdatedAt },
  { name: '005_create_idempotency_keys', migration: createIdempotencyKeys },
];
