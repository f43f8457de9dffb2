export interface LabelledSentence {
  text: string;
  /** 1 = positive, 0 = negative */
  label: 0 | 1;
  source: 'amazon' | 'imdb' | 'yelp';
}
export function loadSplit(split: 'tune' | 'eval'): LabelledSentence[];
export function loadAll(): LabelledSentence[];
export const SOURCES: readonly string[];
