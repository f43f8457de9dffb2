// Text -> features for the sentiment model, on top of wink-nlp's tokenizer, negation and lexicon.
//
// wink-nlp alone (its document score, >= 0 read as positive) misreads sentences whose negator it
// does not know ("Nothing works", "Never again", "No complaints"): it scopes only not/n't-style
// negations. We add a wider negation scope, a word-level polarity that honours it, and
// negation-marked unigrams whose weights are learned (see weights.json and its trainer).
import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

// Only the pipes we use: sentence boundaries, negation, sentiment (no NER, no POS: ~3x faster).
const nlp = winkNLP(model, ['sbd', 'negation', 'sentiment']);
const its = nlp.its;

/** Words that negate what follows up to the next punctuation (beyond wink's own not/n't). */
const NEGATORS = new Set([
  'not', 'no', 'never', 'nothing', 'none', 'nobody', 'nowhere', 'neither', 'nor', 'without',
  'hardly', 'barely', 'scarcely', 'cannot', 'lack', 'lacks', 'lacking', 'fails', 'failed', 'fail',
]);
/** Tokens that end a negation scope. */
const SCOPE_BREAKERS = new Set(['but', 'however', 'although', 'though', 'yet', 'except']);
const MAX_SCOPE = 4;

// Word polarity from wink's lexicon, memoised (bounded) because scoring a single word costs ~10 µs.
const polarityCache = new Map<string, number>();
const MAX_CACHE = 50000;
function wordPolarity(word: string): number {
  let p = polarityCache.get(word);
  if (p === undefined) {
    p = nlp.readDoc(word).out(its.sentiment) as number;
    if (polarityCache.size >= MAX_CACHE) polarityCache.clear();
    polarityCache.set(word, p);
  }
  return p;
}

export interface TextFeatures {
  /** wink-nlp's document score, -1..1. */
  winkScore: number;
  /** Sum of word polarities, sign-flipped inside negation scopes. */
  lexicon: number;
  /** Polarity of words negated by our wider scope but not by wink's (what wink misreads). */
  missedNegation: number;
  /** Normalised unigrams; negated ones prefixed with "!" */
  terms: string[];
  /** Count of word tokens. */
  words: number;
  /** Sentences wink-nlp found (its document score is the mean of their scores). */
  sentences: number;
}

/** Longest piece of text parsed in one go (~1 ms of wink-nlp); longer texts are parsed piecewise. */
export const PIECE_CHARS = 2000;

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isSentenceEnd = (c: number) => c === 0x2e || c === 0x21 || c === 0x3f; // . ! ?

/**
 * Cuts text into pieces of at most `max` UTF-16 units, each ending after a sentence (`.`, `!` or
 * `?` then whitespace) where one ends in the second half of the window, else after whitespace,
 * else anywhere but inside a surrogate pair. Features of pieces cut at sentence ends merge into
 * those of the whole text (see mergeFeatures).
 */
export function pieces(text: string, max: number = PIECE_CHARS): string[] {
  const out: string[] = [];
  let start = 0;
  while (text.length - start > max) {
    let cut = 0;
    let space = 0;
    for (let i = start + max - 1; i > start + max / 2; i--) {
      const c = text.charCodeAt(i);
      if (!isSpace(c)) continue;
      if (isSentenceEnd(text.charCodeAt(i - 1))) {
        cut = i + 1;
        break;
      }
      if (space === 0) space = i + 1;
    }
    if (cut === 0) cut = space || start + max;
    const before = text.charCodeAt(cut - 1);
    if (before >= 0xd800 && before <= 0xdbff) cut -= 1; // keep a surrogate pair together
    out.push(text.slice(start, cut));
    start = cut;
  }
  out.push(text.slice(start));
  return out;
}

/**
 * The features of a text from those of its pieces: wink's document score is the mean of its
 * sentences' scores, so the pieces' scores are weighted by their sentence counts; the rest add up.
 * Exact when each cut is also a sentence boundary for wink-nlp (negation scopes end there too).
 */
export function mergeFeatures(parts: readonly TextFeatures[]): TextFeatures {
  if (parts.length === 1) return parts[0] as TextFeatures;
  let weighted = 0;
  const merged: TextFeatures = { winkScore: 0, lexicon: 0, missedNegation: 0, terms: [], words: 0, sentences: 0 };
  for (const f of parts) {
    weighted += f.winkScore * f.sentences;
    merged.lexicon += f.lexicon;
    merged.missedNegation += f.missedNegation;
    for (const t of f.terms) merged.terms.push(t);
    merged.words += f.words;
    merged.sentences += f.sentences;
  }
  merged.winkScore = merged.sentences === 0 ? 0 : weighted / merged.sentences;
  return merged;
}

export function extractFeatures(text: string): TextFeatures {
  const doc = nlp.readDoc(text);
  const winkScore = doc.out(its.sentiment) as number;
  const tokens = doc.tokens();
  const normals = tokens.out(its.normal) as string[];
  const types = tokens.out(its.type) as string[];
  const winkNegated = tokens.out(its.negationFlag) as boolean[];
  const terms: string[] = [];
  let lexicon = 0;
  let missedNegation = 0;
  let scope = 0; // words left in the current negation scope
  let words = 0;
  for (let i = 0; i < normals.length; i += 1) {
    const w = normals[i] as string;
    const type = types[i];
    if (type === 'punctuation') {
      scope = 0;
      if (w === '!' || w === '?') terms.push(w);
      continue;
    }
    if (type !== 'word' && type !== 'emoticon' && type !== 'emoji') continue;
    words += 1;
    if (SCOPE_BREAKERS.has(w)) scope = 0;
    const negated = scope > 0 || winkNegated[i] === true;
    terms.push(negated ? `!${w}` : w);
    const pol = type === 'word' && w.length > 1 ? wordPolarity(w) : 0;
    if (pol !== 0) {
      lexicon += negated ? -pol : pol;
      if (scope > 0 && winkNegated[i] !== true) missedNegation += pol;
    }
    if (scope > 0) scope -= 1;
    if (NEGATORS.has(w)) scope = MAX_SCOPE;
  }
  return { winkScore, lexicon, missedNegation, terms, words, sentences: doc.sentences().length() };
}

/** The plain baseline: wink-nlp's document score alone. */
export function winkScore(text: string): number {
  return nlp.readDoc(text).out(its.sentiment) as number;
}
