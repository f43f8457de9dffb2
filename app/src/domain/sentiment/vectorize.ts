// Features -> the numeric inputs of the logistic model. Shared by the runtime model and its trainer,
// so both always agree.
import type { TextFeatures } from './features.js';

export interface DenseInputs {
  wink: number;
  lexicon: number;
  missedNegation: number;
}

export function denseInputs(f: TextFeatures): DenseInputs {
  return { wink: f.winkScore, lexicon: Math.tanh(f.lexicon), missedNegation: Math.tanh(f.missedNegation) };
}

/** Weight given to each present term: 1/sqrt(#terms), so long texts do not dominate. */
export function termScale(f: TextFeatures): number {
  return f.terms.length === 0 ? 0 : 1 / Math.sqrt(f.terms.length);
}
