// Sentiment use cases. The model may have failed to load: then every prediction is a 503.
// Scoring is CPU on the event loop. Short texts are scored at once; long texts and batches take
// turns through a FIFO gate, one at a time, in slices with a yield between them. A slice is at most
// SLICE_CHARS of text: long texts are parsed piece by piece (the model's predictSteps), so however
// many large requests arrive together, one event-loop turn runs at most ~1 ms of scoring, and
// probes and other requests are never held hostage.
import { ModelUnavailableError } from '../errors.js';
import type { DomainObserver, ModelInfo, Prediction, SentimentModel } from '../types.js';
import { PIECE_CHARS } from './features.js';

/** Characters scored between yields to the event loop (~1 ms of wink-nlp parsing). */
const SLICE_CHARS = PIECE_CHARS;

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

  /** Scores one text; a long one waits for its turn at the gate and is scored in slices. */
  async score(text: string): Promise<Prediction> {
    if (text.length <= SLICE_CHARS) return this.predict(text);
    return (await this.predictBatch([text]))[0] as Prediction;
  }

  /** Scores in slices of at most SLICE_CHARS characters, yielding between them, one batch at a time. */
  async predictBatch(texts: readonly string[]): Promise<Prediction[]> {
    const model = this.model;
    if (!model) throw new ModelUnavailableError();
    return this.#gate.run(async () => {
      const out: Prediction[] = [];
      let sliced = SLICE_CHARS; // the first slice runs on a turn of its own, after the request's parsing
      for (const t of texts) {
        const steps = model.predictSteps(t);
        let r = steps.next();
        while (!r.done) {
          if (sliced + r.value > SLICE_CHARS) {
            await nextTurn();
            sliced = 0;
          }
          sliced += r.value;
          r = steps.next();
        }
        this.observer.predicted(r.value.sentiment);
        out.push(r.value);
      }
      return out;
    });
  }
}
