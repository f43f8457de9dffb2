// Domain types and the ports the domain needs from the data layer. Wire names are snake_case
// (the lab's contract), so items travel unchanged from repository to response.

import type { Item, ListQuery, ModelInfo, Prediction, SentimentLabel } from './schemas.js';

export { SENTIMENT_LABELS, type Item, type ListQuery, type ModelInfo, type Prediction, type SentimentLabel } from './schemas.js';

/** Columns written by the domain (id and created_at come from the database). */
export type ItemFields = Omit<Item, 'id' | 'created_at'>;

/** An item with its version (changes on every write; the HTTP layer's ETag). */
export interface VersionedItem {
  item: Item;
  version: string;
}

/** The versions a conditional write accepts (If-Match); undefined: unconditional. */
export type ExpectedVersions = readonly string[];

/** The outcome of a create under an Idempotency-Key: this request's item, or the first request's. */
export interface IdempotentCreate {
  created: VersionedItem;
  /** The first request's body fingerprint (differs from this one's: the key was reused). */
  fingerprint: string;
  replayed: boolean;
}

export interface ItemsRepository {
  create(fields: ItemFields): Promise<VersionedItem>;
  /** Creates once per key (kept for a TTL); a key already used returns what it created. */
  createOnce(key: string, fingerprint: string, fields: ItemFields): Promise<IdempotentCreate>;
  findById(id: number): Promise<VersionedItem | undefined>;
  list(query: ListQuery): Promise<Item[]>;
  /** Undefined when the id is missing or, with `expected`, at another version. */
  update(id: number, fields: Partial<ItemFields>, expected?: ExpectedVersions): Promise<VersionedItem | undefined>;
  delete(id: number, expected?: ExpectedVersions): Promise<boolean>;
  /** Up to `limit` items above `afterId` with no sentiment yet (rows adopted from the lab), lowest ids first. */
  withoutSentiment(afterId: number, limit: number): Promise<Pick<Item, 'id' | 'description'>[]>;
  /** Stores scores for rows that still have none (a write in between wins); returns how many. */
  fillSentiment(rows: Pick<Item, 'id' | 'sentiment' | 'sentiment_score'>[]): Promise<number>;
}

export interface SentimentModel {
  readonly info: ModelInfo;
  predict(text: string): Prediction;
  /**
   * The same prediction, computed piece by piece: yields the length of each piece of text before
   * parsing it (so a caller can yield to the event loop in between), returns the prediction.
   */
  predictSteps(text: string): Generator<number, Prediction, void>;
}

/** Scores batches away from the caller's thread (the worker pool). */
export interface BatchScorer {
  /** An abort before the work started rejects (RequestAbortedError) and the work is dropped. */
  run(texts: readonly string[], signal?: AbortSignal): Promise<Prediction[]>;
}

/** Hooks for counting domain events without the domain knowing about metrics. */
export interface DomainObserver {
  itemCreated(): void;
  predicted(label: SentimentLabel): void;
  /** A batch was refused scoring: too many waiting, or past its deadline. */
  scoringRejected?(reason: 'queue_full' | 'deadline'): void;
}
