// Sentiment use cases. The model may have failed to load: then every prediction is a 503.
import { ModelUnavailableError } from '../errors.js';
import type { DomainObserver, ModelInfo, Prediction, SentimentModel } from '../types.js';

export class SentimentService {
  constructor(
    private readonly model: SentimentModel | undefined,
    private readonly observer: DomainObserver,
  ) {}

  get loaded(): boolean {
    return this.model !== undefined;
  }

  info(): ModelInfo {
    if (!this.model) throw new ModelUnavailableError();
    return this.model.info;
  }

  predict(text: string): Prediction {
    if (!this.model) throw new ModelUnavailableError();
    const p = this.model.predict(text);
    this.observer.predicted(p.sentiment);
    return p;
  }

  predictBatch(texts: readonly string[]): Prediction[] {
    return texts.map((t) => this.predict(t));
  }
}
