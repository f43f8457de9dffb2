// Sentiment use cases. The model may have failed to load: then every prediction is a 503.
import { ModelUnavailableError } from '../errors.js';
import type { DomainObserver, ModelInfo, Prediction, SentimentModel } from '../types.js';

/** Characters scored between yields to the event loop (~1 ms of wink-nlp parsing). */
const SLICE_CHARS = 2000;

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

  /**
   * Scores in slices of about SLICE_CHARS characters, yielding to the event loop between them, so
   * that a large batch never holds up other requests (probes above all) for more than one slice.
   */
  async predictBatch(texts: readonly string[]): Promise<Prediction[]> {
    const out: Prediction[] = [];
    let sliced = 0;
    for (const t of texts) {
      if (sliced >= SLICE_CHARS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliced = 0;
      }
      out.push(this.predict(t));
      sliced += t.length;
    }
    return out;
  }
}
