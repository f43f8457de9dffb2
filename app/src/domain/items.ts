// Items use cases: the description's sentiment is computed and stored on every write.
import { NotFoundError } from './errors.js';
import type { SentimentService } from './sentiment/service.js';
import type { ItemChanges, NewItem } from './schemas.js';
import type { DomainObserver, Item, ItemFields, ItemsRepository, ListQuery } from './types.js';

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

  async create(input: NewItem): Promise<Item> {
    const item = await this.repo.create(await this.withSentiment(input));
    this.observer.itemCreated();
    return item;
  }

  async get(id: number): Promise<Item> {
    const item = await this.repo.findById(id);
    if (!item) throw new NotFoundError(ITEM_NOT_FOUND);
    return item;
  }

  list(query: ListQuery): Promise<Item[]> {
    return this.repo.list(query);
  }

  /** PUT: every field replaced (price defaults to 0 as on create). */
  async replace(id: number, input: NewItem): Promise<Item> {
    const item = await this.repo.update(id, await this.withSentiment(input));
    if (!item) throw new NotFoundError(ITEM_NOT_FOUND);
    return item;
  }

  /** PATCH: only the given fields; sentiment recomputed when the description changes. */
  async update(id: number, changes: ItemChanges): Promise<Item> {
    const fields: Partial<ItemFields> = { ...changes };
    if (changes.description !== undefined) {
      const p = await this.sentiment.score(changes.description);
      fields.sentiment = p.sentiment;
      fields.sentiment_score = p.score;
    }
    const item = Object.keys(fields).length === 0 ? await this.repo.findById(id) : await this.repo.update(id, fields);
    if (!item) throw new NotFoundError(ITEM_NOT_FOUND);
    return item;
  }

  async remove(id: number): Promise<void> {
    if (!(await this.repo.delete(id))) throw new NotFoundError(ITEM_NOT_FOUND);
  }
}
