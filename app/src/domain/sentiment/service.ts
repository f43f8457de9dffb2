// Sentiment use cases. The model may have failed to load: then every prediction is a 503.
// Scoring is CPU on the event loop. Short texts are scored at once; long texts and batches take
// turns through a FIFO gate, one at a time, in slices with a yield between them: however many
// large requests arrive together, one event-loop turn runs at most one slice of scoring, so probes
// and other requests are never held hostage.
import { ModelUnavailableError } from '../errors.js';
import type { DomainObserver, ModelInfo, Prediction, SentimentModel } from '../types.js';

/** Characters scored between yields to the event loop (~1 ms of wink-nlp parsing). */
const SLICE_CHARS = 2000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One holder at a time, served in arrival order. */
class Gate {
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#busy = true;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next(); // hand over directly: #busy stays true
      else this.#busy = false;
    }
  }
}

export class SentimentService {
  readonly #gate = new Gate();

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

  /** Scores one text now, on the caller's turn (cheap for short texts). */
  predict(text: string): Prediction {
    if (!this.model) throw new ModelUnavailableError();
    const p = this.model.predict(text);
    this.observer.predicted(p.sentiment);
    return p;
  }

  /** Scores one text; a long one waits for its turn at the gate and is scored on a turn of its own. */
  async score(text: string): Promise<Prediction> {
    if (text.length <= SLICE_CHARS) return this.predict(text);
    if (!this.model) throw new ModelUnavailableError();
    return this.#gate.run(async () => {
      await nextTurn();
      return this.predict(text);
    });
  }

  /** Scores in slices of about SLICE_CHARS characters, yielding between them, one batch at a time. */
  async predictBatch(texts: readonly string[]): Promise<Prediction[]> {
    if (!this.model) throw new ModelUnavailableError();
    return this.#gate.run(async () => {
      const out: Prediction[] = [];
      let sliced = 0;
      for (const t of texts) {
        if (sliced >= SLICE_CHARS) {
          await nextTurn();
          sliced = 0;
        }
        out.push(this.predict(t));
        sliced += t.length;
      }
      return out;
    });
  }
}
