/**
 * Okapi BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework:
 * BM25 and Beyond", 2009), with Lucene's non-negative IDF.
 */
export interface Bm25Params {
  /** Term-frequency saturation: how much a repeated term keeps adding. Default 1.2. */
  k1: number;
  /** Length normalization: 0 ignores document length, 1 fully normalizes. Default 0.75. */
  b: number;
}

export const DEFAULT_BM25: Readonly<Bm25Params> = { k1: 1.2, b: 0.75 };

/**
 * Inverse document frequency of a term found in `documentFrequency` of
 * `documentCount` documents. The `1 +` keeps it positive for terms in more
 * than half the documents, so a match never lowers a score.
 */
export function idf(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/** The BM25 contribution of one term to one document. */
export function termScore(
  termIdf: number,
  frequency: number,
  length: number,
  averageLength: number,
  { k1, b }: Bm25Params,
): number {
  const norm = averageLength > 0 ? 1 - b + (b * length) / averageLength : 1;
  return (termIdf * (frequency * (k1 + 1))) / (frequency + k1 * norm);
}
