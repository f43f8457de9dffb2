// Domain types and the ports the domain needs from the data layer. Wire names are snake_case
// (the lab's contract), so items travel unchanged from repository to response.

export type SentimentLabel = 'positive' | 'negative' | 'neutral';
export const SENTIMENT_LABELS: readonly SentimentLabel[] = ['positive', 'negative', 'neutral'];

export interface Item {
  id: number;
  name: string;
  description: string;
  price: number;
  sentiment: SentimentLabel | null;
  sentiment_score: number | null;
  created_at: string;
}

/** Columns written by the domain (id and created_at come from the database). */
export type ItemFields = Omit<Item, 'id' | 'created_at'>;

export interface ListQuery {
  limit: number;
  offset: number;
  sentiment?: SentimentLabel;
}

export interface ItemsRepository {
  create(fields: ItemFields): Promise<Item>;
  findById(id: number): Promise<Item | undefined>;
  list(query: ListQuery): Promise<Item[]>;
  update(id: number, fields: Partial<ItemFields>): Promise<Item | undefined>;
  delete(id: number): Promise<boolean>;
}

export interface Prediction {
  sentiment: SentimentLabel;
  /** Probability of the chosen polarity, 0..1. */
  confidence: number;
  /** Signed polarity, -1 (negative) .. 1 (positive). */
  score: number;
}

export interface ModelInfo {
  name: string;
  version: string;
  kind: string;
  labels: readonly SentimentLabel[];
  loaded_at: string;
  load_time_ms: number;
}

export interface SentimentModel {
  readonly info: ModelInfo;
  predict(text: string): Prediction;
}

/** Hooks for counting domain events without the domain knowing about metrics. */
export interface DomainObserver {
  itemCreated(): void;
  predicted(label: SentimentLabel): void;
}
