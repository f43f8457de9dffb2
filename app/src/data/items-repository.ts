// Items persistence. Returns plain objects in the wire shape (created_at as an ISO string).
// The hot paths (read by id, create) run named prepared statements with pool.query(), skipping
// the query builder and Knex's connection handling: profiling showed Knex's per-query building and
// result processing cost more CPU than Postgres's answer (README, benchmarks). Creates are still
// validated by the Objection model's jsonSchema; the other queries use Objection/Knex on the same pool.
import type { ErrorObject } from 'ajv';
import type { Knex } from 'knex';
import type pg from 'pg';
import { ValidationError as ObjectionValidationError } from 'objection';
import { IdempotencyConflictError, ValidationError } from '../domain/errors.js';
import { issueOf, valueAt } from '../domain/schema-validation.js';
import type { ExpectedVersions, IdempotentCreate, Item, ItemFields, ItemsRepository, ListQuery, VersionedItem } from '../domain/types.js';
import type { Database } from './database.js';
import { guard } from './db-errors.js';
import { ItemModel } from './models/item.js';

const COLUMNS: string[] = ['id', 'name', 'description', 'price', 'sentiment', 'sentiment_score', 'created_at'];
/**
 * The row's version for ETags: updated_at (stamped by the database on every UPDATE, migration 004)
 * in whole microseconds, as text (int8 arrives as a string: no precision lost to a JS Date).
 */
const VERSION = '(extract(epoch from updated_at) * 1000000)::int8';
const COLUMN_LIST = `${COLUMNS.join(', ')}, ${VERSION} AS version`;
/**
 * The list's columns in the wire shape, created_at formatted by Postgres exactly as
 * Date#toISOString does (UTC, milliseconds truncated, `Z`): a page of 1,000 rows arrives as the
 * items it is, with no Date parsed and formatted again and no copy per row (that was a third of
 * the list's CPU). Single rows keep the Date path: there the conversion is ~1 µs, and GET by id
 * measured no faster with to_char (Postgres shares the cores). test/app/items-repository.test.ts
 * holds both paths to the same strings.
 */
const CREATED_AT_ISO = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const WIRE_COLUMN_LIST = `id, name, description, price, sentiment, sentiment_score, ${CREATED_AT_ISO} AS created_at`;
const SELECT_BY_ID = { name: 'items_by_id', text: `SELECT ${COLUMN_LIST} FROM items WHERE id = $1` };
const INSERT = {
  name: 'items_insert',
  text: `INSERT INTO items (name, description, price, sentiment, sentiment_score) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMN_LIST}`,
};

/** How long an Idempotency-Key's record is kept (docs/app/api.md). */
export const IDEMPOTENCY_TTL_HOURS = 24;
/** How long a retry waits for the first request with its key before answering 409. */
const IDEMPOTENCY_LOCK_WAIT_MS = 200;
const LOCK_NOT_AVAILABLE = '55P03';

interface ItemRow extends Omit<Item, 'created_at'> {
  created_at: Date;
  version: string;
}

function toVersioned(row: ItemRow): VersionedItem {
  return { item: toItem(row), version: row.version };
}

function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: row.price,
    sentiment: row.sentiment,
    sentiment_score: row.sentiment_score,
    created_at: row.created_at.toISOString(),
  };
}

/** Objection's schema errors (the same schema as the request's) are 422s in FastAPI's shape. */
function mapModelError(err: unknown, fields: object): never {
  if (err instanceof ObjectionValidationError) {
    const data = (err.data ?? {}) as Record<string, Pick<ErrorObject, 'keyword' | 'params' | 'message'>[]>;
    throw new ValidationError(
      Object.entries(data).map(([field, errs]) => {
        // Objection lists a field's errors last-first and already names a missing field in its key.
        const e = errs[errs.length - 1] as Pick<ErrorObject, 'keyword' | 'params' | 'message'>;
        const path = field.split('.');
        return issueOf(e, 'body', e.keyword === 'required' ? ['body', ...path.slice(0, -1)] : ['body', ...path], valueAt(fields, path));
      }),
    );
  }
  throw err;
}

export class KnexItemsRepository implements ItemsRepository {
  private readonly model: typeof ItemModel;
  private readonly knex: Knex;
  private readonly pool: pg.Pool;

  constructor(db: Pick<Database, 'knex' | 'pool'>) {
    this.knex = db.knex;
    this.pool = db.pool;
    this.model = ItemModel.bindKnex(db.knex);
  }

  /**
   * A named prepared statement (Postgres keeps its plan per connection). pool.query checks a
   * connection out and back in, and destroys it if the query failed (e.g. timed out).
   */
  private prepared(statement: { name: string; text: string }, values: unknown[]): Promise<pg.QueryResult<ItemRow>> {
    return guard(this.pool.query<ItemRow>({ ...statement, values }));
  }

  async create(fields: ItemFields): Promise<VersionedItem> {
    try {
      this.model.fromJson(fields); // jsonSchema validation, as an Objection insert would do
    } catch (err) {
      mapModelError(err, fields);
    }
    const { rows } = await this.prepared(INSERT, [fields.name, fields.description, fields.price, fields.sentiment, fields.sentiment_score]);
    return toVersioned(rows[0] as ItemRow);
  }

  async findById(id: number): Promise<VersionedItem | undefined> {
    const row = (await this.prepared(SELECT_BY_ID, [id])).rows[0];
    return row ? toVersioned(row) : undefined;
  }

  async list(q: ListQuery): Promise<Item[]> {
    const page = this.knex('items').select('*').orderBy('id').limit(q.limit).offset(q.offset);
    if (q.sentiment) page.where('sentiment', q.sentiment);
    if (q.name !== undefined) page.where('name', q.name); // equality: ix_items_name
    if (q.after_id !== undefined) page.where('id', '>', q.after_id); // an index range scan: no rows skipped one by one
    // Formatted outside the page: Postgres projects every row it skips for OFFSET, so to_char in
    // the inner select ran for all of them (a page at offset 99,000 took 7x as long).
    const query = this.knex.select(this.knex.raw(WIRE_COLUMN_LIST)).from(page.as('page')).orderBy('id');
    return (await guard(query)) as Item[];
  }

  /**
   * Create under an Idempotency-Key, in one transaction with the key's record: either both commit
   * or neither does, so a retry after a lost response finds the record and replays it. A key whose
   * first request is still running (its uncommitted record row-locked) is a conflict after a short
   * lock wait, not a queue. Records older than the TTL are dropped first (this key's, and a bounded
   * sweep of others).
   */
  async createOnce(key: string, fingerprint: string, fields: ItemFields): Promise<IdempotentCreate> {
    try {
      this.model.fromJson(fields);
    } catch (err) {
      mapModelError(err, fields);
    }
    const ttl = `${IDEMPOTENCY_TTL_HOURS} hours`;
    const work = this.knex.transaction(async (trx) => {
      await trx.raw(`SET LOCAL lock_timeout = ${IDEMPOTENCY_LOCK_WAIT_MS}`);
      await trx.raw(
        `DELETE FROM idempotency_keys WHERE key = ? AND created_at < now() - ?::interval
           OR ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys WHERE created_at < now() - ?::interval LIMIT 100))`,
        [key, ttl, ttl],
      );
      const claimed = await trx.raw<{ rows: unknown[] }>(
        `INSERT INTO idempotency_keys (key, fingerprint, item, version) VALUES (?, ?, '{}', '') ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, fingerprint],
      );
      if (claimed.rows.length === 0) {
        const stored = (await trx('idempotency_keys').select('fingerprint', 'item', 'version').where('key', key).first()) as
          | { fingerprint: string; item: Item; version: string }
          | undefined;
        if (!stored) throw new IdempotencyConflictError(); // expired and swept between the two statements
        return { fingerprint: stored.fingerprint, created: { item: stored.item, version: stored.version }, replayed: true };
      }
      const rows = (await trx('items').insert(fields).returning([...COLUMNS, trx.raw(`${VERSION} AS version`)] as string[])) as ItemRow[];
      const created = toVersioned(rows[0] as ItemRow);
      await trx('idempotency_keys').where('key', key).update({ item: JSON.stringify(created.item), version: created.version });
      return { fingerprint, created, replayed: false };
    });
    return guard(work.catch((err: unknown) => {
      // Only the row lock of a concurrent first request can time out here (lock_timeout above).
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) throw new IdempotencyConflictError();
      throw err;
    }));
  }

  /** Undefined when no row has this id (or, with `expected`, none at one of those versions). */
  async update(id: number, fields: Partial<ItemFields>, expected?: ExpectedVersions): Promise<VersionedItem | undefined> {
    const query = this.model.query().patch(fields).where('id', id);
    if (expected) query.whereRaw(`${VERSION}::text = ANY(?)`, [[...expected]]);
    const rows = await guard(
      query.returning([...COLUMNS, this.knex.raw(`${VERSION} AS version`)] as string[]).catch((err: unknown) => mapModelError(err, fields)),
    );
    const row = (rows as unknown as ItemRow[])[0];
    return row ? toVersioned(row) : undefined;
  }

  async withoutSentiment(afterId: number, limit: number): Promise<Pick<Item, 'id' | 'description'>[]> {
    return guard(this.knex('items').select('id', 'description').whereNull('sentiment').where('id', '>', afterId).orderBy('id').limit(limit));
  }

  async fillSentiment(rows: Pick<Item, 'id' | 'sentiment' | 'sentiment_score'>[]): Promise<number> {
    if (rows.length === 0) return 0;
    const values = rows.map(() => '(?::int, ?::varchar, ?::float8)').join(', ');
    const result = await guard(
      this.knex.raw<{ rowCount: number }>(
        `UPDATE items SET sentiment = v.sentiment, sentiment_score = v.score FROM (VALUES ${values}) AS v(id, sentiment, score)
          WHERE items.id = v.id AND items.sentiment IS NULL`,
        rows.flatMap((r) => [r.id, r.sentiment, r.sentiment_score]),
      ),
    );
    return result.rowCount;
  }

  async delete(id: number, expected?: ExpectedVersions): Promise<boolean> {
    const query = this.knex('items').where('id', id);
    if (expected) query.whereRaw(`${VERSION}::text = ANY(?)`, [[...expected]]);
    const n = await guard(query.delete());
    return n > 0;
  }
}
