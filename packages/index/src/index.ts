export { INDEX_ERROR_CODES, type IndexErrorCode } from './codes.js';
export {
  IndexError,
  IndexMismatchError,
  InvalidKeyError,
  InvalidQueryError,
  UniqueConstraintError,
} from './errors.js';
export { compareKeys, type IndexKey } from './key-order.js';
export type { KeyType } from './key-codec.js';
export { intersectSorted, unionSorted } from './sorted-ids.js';
export {
  SecondaryIndex,
  type DocumentEntries,
  type ExtractedKeys,
  type IndexDrift,
  type RangeBounds,
  type SecondaryIndexOptions,
  type IndexVerifyReport,
} from './secondary-index.js';
export type { SecondaryIndexJson } from './secondary-json.js';
export type { IndexLoadOptions } from './persistence.js';
export { Tokenizer, type TokenizerOptions, type TokenizerSettings } from './tokenizer.js';
export { DEFAULT_BM25, type Bm25Params } from './bm25.js';
export {
  FullTextIndex,
  type FieldText,
  type FullTextEntries,
  type FullTextField,
  type FullTextIndexOptions,
  type SearchHit,
  type FullTextSearchOptions,
} from './full-text-index.js';
export type { Bm25Section, FullTextSettings, SearchIndexJson } from './full-text-json.js';
