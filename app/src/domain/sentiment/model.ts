// The sentiment model: logistic regression over wink-nlp's score, a negation-aware lexicon score
// and negation-marked unigrams (weights in weights.json, produced by app/tools/train-sentiment.mjs
// from the tuning split only). Prediction is a few map lookups on top of wink's ~20-40 µs parse.
// Neutral means no evidence: text whose weighted inputs add up to little (see evidenceMin).
import type { ModelInfo, Prediction, SentimentModel } from '../types.js';
import { SENTIMENT_LABELS } from '../types.js';
import { extractFeatures, mergeFeatures, PIECE_CHARS, pieces, type TextFeatures } from './features.js';
import { denseInputs, termScale } from './vectorize.js';
import defaultWeights from './weights.json';

/** A logistic model over the features: bias, dense input weights, term weights. */
export interface LogisticWeights {
  bias: number;
  wink: number;
  lexicon: number;
  missedNegation: number;
  terms: Record<string, number>;
}

export interface SentimentWeights extends LogisticWeights {
  version: string;
  /** p(positive) within 0.5 ± neutralBand is reported as neutral (absent: 0). */
  neutralBand?: number;
  /**
   * Neutral needs little evidence (the summed magnitude of every weighted input: with nothing to
   * go on, the bias alone would decide) ...
   */
  evidenceMin?: number;
  /**
   * ... and the neutral model's verdict: its logit ("carries sentiment") below `threshold`.
   * Both chosen on tuning data only (app/tools/tune-neutral.mjs); absent: evidence alone decides.
   */
  neutral?: LogisticWeights & { threshold: number };
}

/**
 * Features of a text, parsed piecewise (pieces of at most PIECE_CHARS) so that the caller can
 * yield between pieces: yields each piece's length before parsing it, returns the merged features.
 */
export function* featureSteps(text: string): Generator<number, TextFeatures, void> {
  if (text.length <= PIECE_CHARS) {
    yield text.length;
    return extractFeatures(text);
  }
  const parts: TextFeatures[] = [];
  for (const piece of pieces(text)) {
    yield piece.length;
    parts.push(extractFeatures(piece));
  }
  return mergeFeatures(parts);
}

/** Runs featureSteps to the end (no yielding). */
function features(text: string): TextFeatures {
  if (text.length <= PIECE_CHARS) return extractFeatures(text);
  const steps = featureSteps(text);
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/** The logit z and the evidence behind it: the summed magnitude of every weighted input. */
export function evaluate(weights: SentimentWeights, text: string): { z: number; evidence: number } {
  return evaluateFeatures(weights, features(text));
}

function evaluateFeatures(weights: LogisticWeights, f: TextFeatures): { z: number; evidence: number } {
  const d = denseInputs(f);
  const wink = weights.wink * d.wink;
  const lexicon = weights.lexicon * d.lexicon;
  const missed = weights.missedNegation * d.missedNegation;
  let z = weights.bias + wink + lexicon + missed;
  let evidence = Math.abs(wink) + Math.abs(lexicon) + Math.abs(missed);
  const scale = termScale(f);
  for (const t of f.terms) {
    const w = weights.terms[t];
    if (w !== undefined) {
      z += w * scale;
      evidence += Math.abs(w) * scale;
    }
  }
  return { z, evidence };
}

export function logit(weights: SentimentWeights, text: string): number {
  return evaluate(weights, text).z;
}

export function createSentimentModel(weights: SentimentWeights = defaultWeights as SentimentWeights): SentimentModel {
  const started = performance.now();
  logit(weights, 'warm up the tokenizer'); // loads wink's model tables now, not on the first request
  const info: ModelInfo = Object.freeze({
    name: 'wink-logistic-sentiment',
    version: weights.version,
    kind: 'logistic regression over wink-nlp lexicon score, negation-aware lexicon and unigram features',
    labels: SENTIMENT_LABELS,
    loaded_at: new Date().toISOString(),
    load_time_ms: Math.round((performance.now() - started) * 100) / 100,
  });
  const band = weights.neutralBand ?? 0;
  const evidenceMin = weights.evidenceMin ?? 0;
  const neutral = weights.neutral;
  const fromFeatures = (f: TextFeatures): Prediction => {
    const { z, evidence } = evaluateFeatures(weights, f);
    const p = 1 / (1 + Math.exp(-z));
    const score = Math.round((2 * p - 1) * 1e4) / 1e4;
    if (evidence < evidenceMin) {
      if (!neutral) return { sentiment: 'neutral', confidence: round(1 - evidence / evidenceMin), score };
      const below = neutral.threshold - evaluateFeatures(neutral, f).z;
      if (below > 0) return { sentiment: 'neutral', confidence: round(1 / (1 + Math.exp(-below))), score };
    }
    if (p >= 0.5 + band) return { sentiment: 'positive', confidence: round(p), score };
    if (p <= 0.5 - band) return { sentiment: 'negative', confidence: round(1 - p), score };
    return { sentiment: 'neutral', confidence: round(1 - Math.abs(2 * p - 1)), score };
  };
  return {
    info,
    predict: (text) => fromFeatures(features(text)),
    *predictSteps(text) {
      return fromFeatures(yield* featureSteps(text));
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
