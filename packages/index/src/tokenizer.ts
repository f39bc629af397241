export interface TokenizerOptions {
  /** Shorter tokens (in UTF-16 code units) are dropped. Default 2. */
  minLength?: number | undefined;
  /** Words never indexed nor searched; folded like the text. Default none. */
  stopWords?: Iterable<string> | undefined;
  /**
   * Lower-cases with `toLocaleLowerCase(locale)` (e.g. `'tr'` for dotless ı).
   * Default: `toLowerCase()`, the same on every machine.
   */
  locale?: string | undefined;
}

/** The settings a tokenizer runs with, as persisted next to a full-text index. */
export interface TokenizerSettings {
  min_length: number;
  locale: string | null;
  stop_words: string[];
}

const NONSPACING_MARK = /\p{Mn}/gu;
// The general-purpose combining diacritics (accents on Latin, Greek, Cyrillic).
// Script-specific marks (Devanagari virama, kana voicing) change the word, so they stay.
const DIACRITIC_BLOCKS: readonly (readonly [number, number])[] = [
  [0x0300, 0x036f],
  [0x1ab0, 0x1aff],
  [0x1dc0, 0x1dff],
  [0x20d0, 0x20ff],
  [0xfe20, 0xfe2f],
];

function dropDiacritic(mark: string): string {
  const code = mark.codePointAt(0) ?? 0;
  return DIACRITIC_BLOCKS.some(([low, high]) => code >= low && code <= high) ? '' : mark;
}

// Letters, digits and the spacing marks that are part of words in many scripts.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
// Folds `toLowerCase` leaves alone: German sharp s, Greek final sigma.
const EXTRA_FOLDS = /[ßς]/g;
const FOLDED: Readonly<Record<string, string>> = { ß: 'ss', ς: 'σ' };

/**
 * Splits text into search terms: compatibility decomposition (NFKD: `ﬁ` is
 * `fi`, full-width `Ａ` is `a`), combining accents removed (`é` is `e`), lower
 * case, then runs of letters, digits and the marks inside words. Index and query go through the same steps,
 * so `Élan`, `ELAN` and `élan` all find each other.
 */
export class Tokenizer {
  readonly minLength: number;
  readonly locale: string | undefined;
  readonly stopWords: ReadonlySet<string>;

  /** @throws {TypeError} when `minLength` is not a positive integer. */
  constructor(options: TokenizerOptions = {}) {
    const minLength = options.minLength ?? 2;
    if (!Number.isInteger(minLength) || minLength < 1) {
      throw new TypeError(`tokenizer: minLength must be a positive integer, got ${minLength}`);
    }
    this.minLength = minLength;
    this.locale = options.locale;
    const stopWords = new Set<string>();
    for (const word of options.stopWords ?? []) {
      for (const term of this.#words(word)) stopWords.add(term);
    }
    this.stopWords = stopWords;
  }

  /** The settings, in a canonical form that compares equal when tokenizing would. */
  get settings(): TokenizerSettings {
    return {
      min_length: this.minLength,
      locale: this.locale ?? null,
      stop_words: [...this.stopWords].sort(),
    };
  }

  /** Case- and diacritic-folded `text`, before splitting. */
  fold(text: string): string {
    const stripped = text.normalize('NFKD').replace(NONSPACING_MARK, dropDiacritic);
    const lower =
      this.locale === undefined ? stripped.toLowerCase() : stripped.toLocaleLowerCase(this.locale);
    return lower.replace(EXTRA_FOLDS, (char) => FOLDED[char] ?? char);
  }

  /** Every term of `text` in order, repeats included (term frequencies count them). */
  tokenize(text: string): string[] {
    const terms: string[] = [];
    for (const term of this.#words(text)) {
      if (term.length >= this.minLength && !this.stopWords.has(term)) terms.push(term);
    }
    return terms;
  }

  #words(text: string): string[] {
    return this.fold(text).match(WORD) ?? [];
  }
}
