// Items use cases: the description's sentiment is computed and stored on every write. Writes may
// be conditional on the item's version (lost-update protection): a stale version is a 412.
import { createHash } from 'node:crypto';
import { IdempotencyKeyReusedError, NotFoundError, PreconditionFailedError } from './errors.js';
import type { SentimentService } from './sentiment/service.js';
import type { ItemChanges, NewItem } from './schemas.js';
import type { DomainObserver, ExpectedVersions, IdempotentCreate, Item, ItemFields, ItemsRepository, ListQuery, VersionedItem } from './types.js';

export type { ItemChanges, NewItem } from './schemas.js';

const ITEM_NOT_FOUND = 'Item not found';

export class ItemsService {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly sentiment: SentimentService,
    private readonly observer: DomainObserver,
  ) {}

  private async withSentiment(fields: NewItem): Promise<ItemFields> {
    const p = await this.sentiment.score(fields.description);
    return { ...fields, sentiment: p.sentiment, sentiment_score: p.score };
  }

  /**
   * Create at most once per Idempotency-Key: a retry with the same body gets the first request's
   * item (replayed), with another body a 422, while the first is still running a 409.
   */
  async createOnce(key: string, input: NewItem): Promise<IdempotentCreate> {
    const fingerprint = createHash('sha256').update(JSON.stringify([input.name, input.description, input.price])).digest('hex');
    const result = await this.repo.createOnce(key, fingerprint, await this.withSentiment(input));
    if (result.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
    if (!result.replayed) this.observer.itemCreated();
    return result;
  }

  async create(input: NewItem): Promise<VersionedItem> {
    const item = await this.repo.create(await this.withSentiment(input));
    this.observer.itemCreated();
    return item;
  }

  async get(id: number): Promise<VersionedItem> {
    const item = await this.repo.findById(id);
    if (!item) throw new NotFoundError(ITEM_NOT_FOUND);
    return item;
  }

  list(query: ListQuery): Promise<Item[]> {
    return this.repo.list(query);
  }

  /** PUT: every field replaced (price defaults to 0 as on create). */
  async replace(id: number, input: NewItem, expected?: ExpectedVersions): Promise<VersionedItem> {
    return this.written(id, await this.repo.update(id, await this.withSentiment(input), expected), expected);
  }

  /** PATCH: only the given fields; sentiment recomputed when the description changes. */
  async update(id: number, changes: ItemChanges, expected?: ExpectedVersions): Promise<VersionedItem> {
    const fields: Partial<ItemFields> = { ...changes };
    if (changes.description !== undefined) {
      const p = await this.sentiment.score(changes.description);
      fields.sentiment = p.sentiment;
      fields.sentiment_score = p.score;
    }
    if (Object.keys(fields).length === 0) {
      const current = await this.get(id);
      if (expected && !expected.includes(current.version)) throw new PreconditionFailedError();
      return current;
    }
    return this.written(id, await this.repo.update(id, fields, expected), expected);
  }

  async remove(id: number, expected?: ExpectedVersions): Promise<void> {
    if (await this.repo.delete(id, expected)) return;
    await this.written(id, undefined, expected);
  }

  /**
   * Scores the items that have no sentiment (rows adopted from the lab database) in batches, with
   * a turn of the event loop between them so serving goes on; safe to run on every replica at
   * once (a row already filled, or rewritten by a request, is left alone). A batch is scored like
   * any request's (inline when short, else on the scoring pool or in slices) and stored by one
   * UPDATE, so stopping between statements loses nothing. Returns how many it filled; `signal`
   * stops it before the next step (throwing the signal's reason).
   */
  async backfillSentiment(batchSize = 100, signal?: AbortSignal): Promise<number> {
    let filled = 0;
    let afterId = 0;
    for (;;) {
      signal?.throwIfAborted();
      const batch = await this.repo.withoutSentiment(afterId, batchSize);
      if (batch.length === 0) return filled;
      signal?.throwIfAborted();
      const predictions = await this.sentiment.predictBatch(batch.map((row) => row.description), signal);
      signal?.throwIfAborted();
      filled += await this.repo.fillSentiment(batch.map((row, i) => ({ id: row.id, sentiment: predictions[i]!.sentiment, sentiment_score: predictions[i]!.score })));
      afterId = (batch[batch.length - 1] as { id: number }).id;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** A write that matched no row: 412 if the item exists at another version (If-Match), else 404. */
  private async written(id: number, result: VersionedItem | undefined, expected?: ExpectedVersions): Promise<VersionedItem> {
    if (result) return result;
    if (expected && (await this.repo.findById(id))) throw new PreconditionFailedError();
    throw new NotFoundError(ITEM_NOT_FOUND);
  }
}
