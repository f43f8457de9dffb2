// Sentiment use cases. The model may have failed to load: then every prediction is a 503.
// Requests of at most INLINE_CHARS of text in all (~1 ms of scoring) are scored at once on the
// caller's turn, so they never wait behind large batches queued for the workers. Longer ones go
// to the scoring pool (worker threads, SENTIMENT_WORKERS), so the main thread only parses and
// answers. With no pool (SENTIMENT_WORKERS=0) they are scored on the event loop instead, taking
// turns through a FIFO gate in slices of at most SLICE_CHARS with a yield between them (long
// texts parsed piece by piece: the model's predictSteps), so one event-loop turn runs at most
// ~1 ms of scoring.
// Handed-off batches are bounded (limits.maxPending waiting or running; beyond it ScoringBusyError,
// a 503 with Retry-After) and each has a deadline (limits.deadlineMs; then ScoringTimeoutError): a
// flood sheds load at once instead of queueing texts in memory and answering minutes late.
import { ModelUnavailableError, RequestAbortedError, ScoringBusyError, ScoringTimeoutError } from '../errors.js';
import type { BatchScorer, DomainObserver, ModelInfo, Prediction, SentimentModel } from '../types.js';
import { PIECE_CHARS } from './features.js';

/** Requests with at most this much text in all are scored inline: at most ~1 ms on a busy core (a hand-over costs the main thread ~30-65 µs; README, Benchmarks). */
export const INLINE_CHARS = 1000;

/**
 * While the hand-off queue is full, a request whose body is larger than this is refused before its
 * body is read: it cannot be scored inline (texts over INLINE_CHARS, whatever the JSON around them),
 * and reading, decoding and parsing 50 KB bodies only to refuse them is what grew RSS under a flood.
 */
export const SHED_BODY_BYTES = 4 * INLINE_CHARS;

/** Characters scored between yields to the event loop (~1 ms of wink-nlp parsing). */
const SLICE_CHARS = PIECE_CHARS;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Defaults when no limits are given (tests, tools): generous enough never to matter for them. */
export const DEFAULT_SCORING_LIMITS: ScoringLimits = { maxPending: 1000, deadlineMs: 60_000 };

export interface ScoringLimits {
  /** Batches handed off (waiting or being scored) at once. */
  maxPending: number;
  /** A handed-off batch not done by then is answered 503. */
  deadlineMs: number;
}

/** One holder at a time, served in arrival order; an abort while waiting leaves the line. */
class Gate {
  #busy = false;
  readonly #waiting: (() => void)[] = [];

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#busy) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = this.#waiting.indexOf(enter);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(new RequestAbortedError());
        };
        const enter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiting.push(enter);
      });
    }
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
  #pending = 0;

  constructor(
    private readonly model: SentimentModel | undefined,
    private readonly observer: DomainObserver,
    /** Worker threads for requests over INLINE_CHARS; absent: sliced scoring on the event loop. */
    private readonly pool?: BatchScorer,
    private readonly limits: ScoringLimits = DEFAULT_SCORING_LIMITS,
  ) {}

  /** Batches handed off for scoring now (waiting or running): the queue depth. */
  get pending(): number {
    return this.#pending;
  }

  get loaded(): boolean {
    return this.model !== undefined;
  }

  info(): ModelInfo {
    if (!this.model) throw new ModelUnavailableError();
    return this.model.info;
  }

  /**
   * Refuses at once (ScoringBusyError, counted as queue_full) a request of `bodyBytes` that would be
   * handed off while the queue is full; smaller bodies, and ones of unknown size, are parsed as usual.
   */
  admit(bodyBytes: number | undefined): void {
    if (bodyBytes !== undefined && bodyBytes > SHED_BODY_BYTES && this.#pending >= this.limits.maxPending) this.#refuse();
  }

  #refuse(): never {
    this.observer.scoringRejected?.('queue_full');
    throw new ScoringBusyError();
  }

  /** Scores one text now, on the caller's turn (cheap for short texts). */
  predict(text: string): Prediction {
    if (!this.model) throw new ModelUnavailableError();
    const p = this.model.predict(text);
    this.observer.predicted(p.sentiment);
    return p;
  }

  /** Scores one text: a short one now, a long one as a batch of one. */
  async score(text: string, signal?: AbortSignal): Promise<Prediction> {
    if (text.length <= INLINE_CHARS) return this.predict(text);
    return (await this.predictBatch([text], signal))[0] as Prediction;
  }

  /** Scores a batch: inline when small, else on the pool, else in slices on the event loop. */
  async predictBatch(texts: readonly string[], signal?: AbortSignal): Promise<Prediction[]> {
    if (!this.model) throw new ModelUnavailableError();
    let total = 0;
    for (const t of texts) total += t.length;
    if (total <= INLINE_CHARS) return texts.map((t) => this.predict(t));
    return this.#handOff(this.model, texts, signal);
  }

  /** Off the caller's turn, bounded in number and time. */
  async #handOff(model: SentimentModel, texts: readonly string[], signal?: AbortSignal): Promise<Prediction[]> {
    if (this.#pending >= this.limits.maxPending) this.#refuse();
    this.#pending += 1;
    const deadline = AbortSignal.timeout(this.limits.deadlineMs);
    const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      // A batch already on a worker when the deadline passes finishes there (at most ~50 ms).
      const out = this.pool ? await this.pool.run(texts, stop) : await this.#sliced(model, texts, stop);
      if (this.pool) for (const p of out) this.observer.predicted(p.sentiment);
      return out;
    } catch (err) {
      if (err instanceof RequestAbortedError && deadline.aborted && !signal?.aborted) {
        this.observer.scoringRejected?.('deadline');
        throw new ScoringTimeoutError();
      }
      throw err;
    } finally {
      this.#pending -= 1;
    }
  }

  /** Scores in slices of at most SLICE_CHARS characters, yielding between them, one batch at a time. */
  #sliced(model: SentimentModel, texts: readonly string[], signal: AbortSignal): Promise<Prediction[]> {
    return this.#gate.run(async () => {
      const out: Prediction[] = [];
      let sliced = SLICE_CHARS; // the first slice runs on a turn of its own, after the request's parsing
      for (const t of texts) {
        const steps = model.predictSteps(t);
        let r = steps.next();
        while (!r.done) {
          if (sliced + r.value > SLICE_CHARS) {
            await nextTurn();
            if (signal.aborted) throw new RequestAbortedError();
            sliced = 0;
          }
          sliced += r.value;
          r = steps.next();
        }
        this.observer.predicted(r.value.sentiment);
        out.push(r.value);
      }
      return out;
    }, signal);
  }
}
