import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/index.js';

describe('Tokenizer', () => {
  const tokenizer = new Tokenizer();

  it('splits on anything but letters and digits, keeping repeats', () => {
    expect(tokenizer.tokenize('Implement user-authentication (OAuth2), user: v2.1!')).toEqual([
      'implement',
      'user',
      'authentication',
      'oauth2',
      'user',
      'v2',
    ]);
  });

  it('folds case and diacritics, so accented and plain spellings meet', () => {
    expect(tokenizer.tokenize('Élan CAFÉ naïve Ångström Łódź')).toEqual([
      'elan',
      'cafe',
      'naive',
      'angstrom',
      'łodz', // ł is a letter of its own, not l plus a mark
    ]);
    expect(tokenizer.tokenize('ÉLAN')).toEqual(tokenizer.tokenize('élan'));
  });

  it('folds compatibility forms, sharp s and final sigma', () => {
    expect(tokenizer.tokenize('ﬁle ＡＢＣ Straße ΟΔΟΣ')).toEqual([
      'file',
      'abc',
      'strasse',
      'οδοσ',
    ]);
    expect(tokenizer.tokenize('strasse οδοσ')).toEqual(['strasse', 'οδοσ']);
  });

  it('keeps words of other scripts whole, with the marks that change them', () => {
    expect(tokenizer.tokenize('Привет, мир! हिन्दी 東京タワー')).toEqual([
      'привет',
      'мир',
      'हिन्दी',
      '東京タワー',
    ]);
    // Kana voicing and the virama are not accents: ガ is not カ.
    expect(tokenizer.tokenize('ガス')).not.toEqual(tokenizer.tokenize('カス'));
    expect(tokenizer.tokenize('Йод')).toEqual(['иод']);
  });

  it('drops short tokens and stop words (folded like the text)', () => {
    const custom = new Tokenizer({ minLength: 3, stopWords: ['THE', 'über'] });
    expect(custom.tokenize('The fox is über the ox box')).toEqual(['fox', 'box']);
    expect(custom.settings).toEqual({ min_length: 3, locale: null, stop_words: ['the', 'uber'] });
    expect(new Tokenizer({ minLength: 1 }).tokenize('a b')).toEqual(['a', 'b']);
    expect(() => new Tokenizer({ minLength: 0 })).toThrow(TypeError);
  });

  it('lower-cases with a locale when asked, and the same everywhere when not', () => {
    expect(new Tokenizer({ locale: 'tr' }).tokenize('KIRMIZI')).toEqual(['kırmızı']);
    expect(tokenizer.tokenize('KIRMIZI')).toEqual(['kirmizi']);
    expect(tokenizer.tokenize('İstanbul')).toEqual(['istanbul']);
  });
});
