// Domain types and the ports the domain needs from the data layer. Wire names are snake_case
// (the lab's contract), so items travel unchanged from repository to response.

import type { Item, ListQuery, ModelInfo, Prediction, SentimentLabel } from './schemas.js';

export { SENTIMENT_LABELS, type Item, type ListQuery, type ModelInfo, type Prediction, type SentimentLabel } from './schemas.js';

/** Columns written by the domain (id and created_at come from the database). */
export type ItemFields = Omit<Item, 'id' | 'created_at'>;

export interface ItemsRepository {
  create(fields: ItemFields): Promise<Item>;
  findById(id: number): Promise<Item | undefined>;
  list(query: ListQuery): Promise<Item[]>;
  update(id: number, fields: Partial<ItemFields>): Promise<Item | undefined>;
  delete(id: number): Promise<boolean>;
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
