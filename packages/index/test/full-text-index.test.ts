import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFileError } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import {
  FullTextIndex,
  IndexMismatchError,
  InvalidKeyError,
  InvalidQueryError,
  type FullTextIndexOptions,
} from '../src/index.js';
import { freshDir } from './helpers/temp-dir.js';

interface Item {
  title?: string | undefined;
  description?: string | undefined;
  success_criteria?: string[] | undefined;
}

const options: FullTextIndexOptions<Item> = {
  fields: [{ name: 'title', weight: 2 }, 'description', 'success_criteria'],
};

const fixture = (name: string): string => new URL(`fixtures/${name}`, import.meta.url).pathname;

const entries: { id: string; kind: string; doc: Item }[] = [
  {
    id: 'tkt_123',
    kind: 'tickets',
    doc: {
      title: 'Implement user authentication',
      description: 'Users log in with email and password',
    },
  },
  {
    id: 'tkt_124',
    kind: 'tickets',
    doc: {
      title: 'Authentication errors are unclear',
      description: 'Show which authentication step failed',
    },
  },
  {
    id: 'tkt_125',
    kind: 'tickets',
    doc: { title: 'User avatar upload', description: 'PNG and JPEG' },
  },
  {
    id: 'tkt_126',
    kind: 'tickets',
    doc: { title: 'Export user list', description: 'CSV export for admins' },
  },
  {
    id: 'epic_12',
    kind: 'epics',
    doc: {
      title: 'User Authentication System',
      description: 'Complete auth implementation',
      success_criteria: ['Users can register and log in', 'Sessions are secure'],
    },
  },
  {
    id: 'epic_13',
    kind: 'epics',
    doc: { title: 'User settings', description: 'Profile and preferences' },
  },
];

function ticketsAndEpics(): FullTextIndex<Item> {
  const index = new FullTextIndex(options);
  for (const { id, kind, doc } of entries) index.add(id, kind, doc);
  return index;
}

describe('FullTextIndex search', () => {
  it('ranks the document with more occurrences of a rare term first (BM25)', () => {
    const index = new FullTextIndex<Item>({ fields: ['description'] });
    index.add('a', 'notes', { description: 'the deadlock happens in the scheduler' });
    index.add('b', 'notes', { description: 'deadlock deadlock deadlock in the scheduler' });
    index.add('c', 'notes', { description: 'the scheduler is slow' });
    index.add('d', 'notes', { description: 'the cache is slow' });
    const hits = index.search('deadlock');
    expect(hits.map((hit) => hit.id)).toEqual(['b', 'a']);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    // A rare term outweighs a common one: "deadlock" (2 of 4) beats "the" (3 of 4).
    expect(index.search('the deadlock')[0]?.id).toBe('b');
  });

  it('ranks a shorter document higher for the same single occurrence', () => {
    const index = new FullTextIndex<Item>({ fields: ['description'] });
    index.add('long', 'notes', {
      description: 'crash when saving a very long and winding report file',
    });
    index.add('short', 'notes', { description: 'crash when saving' });
    expect(index.search('crash').map((hit) => hit.id)).toEqual(['short', 'long']);
  });

  it('weights fields: a title match beats the same match in the description', () => {
    const index = new FullTextIndex<Item>(options);
    index.add('in-title', 'tickets', { title: 'Login page', description: 'redesign the form' });
    index.add('in-description', 'tickets', { title: 'Form redesign', description: 'login page' });
    expect(index.search('login')[0]?.id).toBe('in-title');
  });

  it('searches across kinds, filters by kind, and limits', () => {
    const index = ticketsAndEpics();
    expect(
      index
        .search('authentication')
        .map((hit) => `${hit.kind}/${hit.id}`)
        .sort(),
    ).toEqual(['epics/epic_12', 'tickets/tkt_123', 'tickets/tkt_124']);
    expect(index.search('authentication', { kinds: ['epics'] })).toEqual([
      { id: 'epic_12', kind: 'epics', score: expect.any(Number) as number },
    ]);
    expect(index.search('user', { limit: 2 })).toHaveLength(2);
    expect(index.search('user', { limit: 0 })).toEqual([]);
    expect(() => index.search('user', { limit: -1 })).toThrow(InvalidQueryError);
    expect(() => index.search('user', { limit: 1.5 })).toThrow(InvalidQueryError);
  });

  it('prefix search expands query terms, ranking exact words above longer ones', () => {
    const index = new FullTextIndex<Item>({ fields: ['title'] });
    index.add('t1', 'tickets', { title: 'Authentication flow' });
    index.add('t2', 'tickets', { title: 'Author field' });
    index.add('t3', 'tickets', { title: 'Auth' });
    index.add('t4', 'tickets', { title: 'Audit log' });
    expect(index.search('auth')).toEqual([expect.objectContaining({ id: 't3' })]);
    const hits = index.search('auth', { prefix: true });
    expect(hits.map((hit) => hit.id)).toEqual(['t3', 't1', 't2']);
    expect(index.search('AUTHENT', { prefix: true }).map((hit) => hit.id)).toEqual(['t1']);
  });

  it('folds case and diacritics in documents and queries alike', () => {
    const index = new FullTextIndex<Item>({ fields: ['title'] });
    index.add('1', 'tickets', { title: 'Café crème résumé' });
    expect(index.search('CAFE')).toHaveLength(1);
    expect(index.search('creme RESUMÉ')).toHaveLength(1);
    expect(index.search('resu', { prefix: true })).toHaveLength(1);
  });

  it('ties are broken by kind then id, so results are deterministic', () => {
    const index = new FullTextIndex<Item>({ fields: ['title'] });
    for (const [id, kind] of [
      ['b', 'tickets'],
      ['a', 'tickets'],
      ['z', 'epics'],
    ] as const) {
      index.add(id, kind, { title: 'same words' });
    }
    expect(index.search('same').map((hit) => hit.id)).toEqual(['z', 'a', 'b']);
  });

  it('an empty index, an empty query and unknown terms find nothing', () => {
    const index = new FullTextIndex<Item>(options);
    expect(index.search('anything')).toEqual([]);
    index.add('1', 'tickets', { title: 'hello' });
    expect(index.search('')).toEqual([]);
    expect(index.search('?! a')).toEqual([]);
    expect(index.search('nothing', { prefix: true })).toEqual([]);
  });
});

describe('FullTextIndex writes', () => {
  it('add replaces the previous version; remove takes it out', () => {
    const index = ticketsAndEpics();
    expect(index.documentCount).toBe(6);
    index.add('tkt_125', 'tickets', { title: 'Avatar upload', description: 'authentication free' });
    expect(index.search('user').map((hit) => hit.id)).not.toContain('tkt_125');
    expect(index.search('authentication').map((hit) => hit.id)).toContain('tkt_125');
    expect(index.documentCount).toBe(6);
    expect(index.remove('tkt_125', 'tickets')).toBe(true);
    expect(index.remove('tkt_125', 'tickets')).toBe(false);
    expect(index.has('tkt_125', 'tickets')).toBe(false);
    expect(index.search('avatar')).toEqual([]);
    expect(index.documentCount).toBe(5);
  });

  it('keeps kinds apart: the same id in two kinds is two documents', () => {
    const index = new FullTextIndex<Item>({ fields: ['title'] });
    index.add('1', 'tickets', { title: 'alpha' });
    index.add('1', 'epics', { title: 'alpha beta' });
    index.remove('1', 'tickets');
    expect(index.search('alpha')).toEqual([expect.objectContaining({ id: '1', kind: 'epics' })]);
  });

  it('a document without terms is not kept', () => {
    const index = new FullTextIndex<Item>(options);
    index.add('1', 'tickets', { title: '?!', description: undefined });
    expect(index.documentCount).toBe(0);
    expect(index.has('1', 'tickets')).toBe(false);
  });

  it('prefix search sees terms added and removed after its first use', () => {
    const index = new FullTextIndex<Item>({ fields: ['title'] });
    index.add('1', 't', { title: 'export' });
    expect(index.search('ex', { prefix: true })).toHaveLength(1);
    index.add('2', 't', { title: 'exit' });
    index.add('3', 't', { title: 'expand' });
    index.remove('1', 't');
    expect(
      index
        .search('ex', { prefix: true })
        .map((hit) => hit.id)
        .sort(),
    ).toEqual(['2', '3']);
    expect(index.search('exp', { prefix: true }).map((hit) => hit.id)).toEqual(['3']);
  });

  it('rebuild equals adding one by one, and keeps the old content when it throws', () => {
    const index = ticketsAndEpics();
    const before = JSON.stringify(index.toJSON().terms);
    expect(() =>
      index.rebuild([
        { id: 'x', kind: 'tickets', doc: { title: 'new' } },
        { id: 7 as unknown as string, kind: 'tickets', doc: {} },
      ]),
    ).toThrow(InvalidKeyError);
    expect(JSON.stringify(index.toJSON().terms)).toBe(before);
    const rebuilt = new FullTextIndex(options);
    rebuilt.rebuild(entries);
    expect(rebuilt.toJSON().terms).toEqual(index.toJSON().terms);
    expect(rebuilt.toJSON().bm25).toEqual(index.toJSON().bm25);
  });

  it('validates its settings', () => {
    expect(() => new FullTextIndex({ fields: [] })).toThrow(TypeError);
    expect(() => new FullTextIndex({ fields: ['a', 'a'] })).toThrow(/twice/);
    expect(() => new FullTextIndex({ fields: [{ name: 'a', weight: 0 }] })).toThrow(/weight/);
  });
});

describe('FullTextIndex persistence', () => {
  it("writes spec 002's shape: term -> kind -> sorted ids, metadata counts", () => {
    const json = ticketsAndEpics().toJSON();
    expect(json.terms.authentication).toEqual({
      epics: ['epic_12'],
      tickets: ['tkt_123', 'tkt_124'],
    });
    expect(json.terms.user).toEqual({
      epics: ['epic_12', 'epic_13'],
      tickets: ['tkt_123', 'tkt_125', 'tkt_126'],
    });
    expect(json.metadata).toEqual({
      indexed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
      term_count: Object.keys(json.terms).length,
      document_count: 6,
    });
    // What BM25 needs sits beside, under "bm25"; frequencies only where they are not 1.
    expect(json.bm25?.frequencies.authentication?.tickets).toEqual({ tkt_123: 2, tkt_124: 3 });
    // title x 2 (user, avatar, upload) + description (png, and, jpeg)
    expect(json.bm25?.lengths.tickets?.tkt_125).toBe(2 * 3 + 3);
  });

  it('round-trips through JSON with identical search results and identical bytes', () => {
    const index = ticketsAndEpics();
    const text = JSON.stringify(index);
    const back = FullTextIndex.fromJSON(JSON.parse(text), options);
    for (const query of ['user', 'authentication', 'auth', 'secure sessions', 'export']) {
      for (const prefix of [false, true]) {
        expect(back.search(query, { prefix })).toEqual(index.search(query, { prefix }));
      }
    }
    expect(JSON.stringify(back)).toBe(text);
    expect(back.documentCount).toBe(index.documentCount);
  });

  it("loads spec 002's example as it is, taking term frequencies as 1", async () => {
    const index = await FullTextIndex.load(fixture('search_index.json'), options);
    expect(index?.documentCount).toBe(6);
    expect(index?.termCount).toBe(2);
    const hits = index?.search('authentication user') ?? [];
    // tkt_123 and epic_12 have both terms.
    expect(
      hits
        .slice(0, 2)
        .map((hit) => hit.id)
        .sort(),
    ).toEqual(['epic_12', 'tkt_123']);
    const json = index?.toJSON();
    const spec = JSON.parse(await readFile(fixture('search_index.json'), 'utf8')) as {
      terms: unknown;
    };
    expect(json?.terms).toEqual({
      authentication: { epics: ['epic_12'], tickets: ['tkt_123', 'tkt_124'] },
      user: { epics: ['epic_12', 'epic_13'], tickets: ['tkt_123', 'tkt_125', 'tkt_126'] },
    });
    expect(json?.terms).toEqual(spec.terms);
    expect(json?.metadata.indexed_at).toBe('2024-01-02T00:00:00Z');
    expect(json?.metadata.document_count).toBe(6);
  });

  it('keeps terms named like Object.prototype members as plain terms', () => {
    const index = new FullTextIndex<Item>({ fields: ['title'] });
    index.add('1', 'tickets', { title: 'constructor __proto__ toString hasOwnProperty' });
    const text = JSON.stringify(index);
    const back = FullTextIndex.fromJSON(JSON.parse(text), { fields: ['title'] });
    expect(back.search('constructor')).toHaveLength(1);
    // "_" is not a letter: the term is "proto", whichever way it is asked for.
    expect(back.search('__proto__')).toEqual(back.search('proto'));
    expect(back.search('tostring hasownproperty')).toHaveLength(1);
    expect(JSON.stringify(back)).toBe(text);
  });

  it('refuses an index built with other settings', () => {
    const json = ticketsAndEpics().toJSON();
    for (const other of [
      { fields: ['title', 'description', 'success_criteria'] },
      { ...options, tokenizer: { stopWords: ['the'] } },
      { ...options, tokenizer: { minLength: 3 } },
    ] satisfies FullTextIndexOptions<Item>[]) {
      expect(() => FullTextIndex.fromJSON(json, other)).toThrow(IndexMismatchError);
    }
    // Field order and BM25 parameters do not matter.
    const reordered = {
      fields: ['success_criteria', 'description', { name: 'title', weight: 2 }],
      bm25: { k1: 2 },
    };
    expect(FullTextIndex.fromJSON(json, reordered).documentCount).toBe(6);
  });

  it('reports malformed content with its path', () => {
    const good = ticketsAndEpics().toJSON();
    const cases: [unknown, (string | number)[]][] = [
      [[], []],
      [{ metadata: {} }, []],
      [{ terms: { x: ['a'] } }, ['terms', 'x']],
      [{ terms: { x: { tickets: [1] } } }, ['terms', 'x', 'tickets']],
      [{ terms: {}, metadata: 'yesterday' }, ['metadata']],
      [{ terms: {}, metadata: { indexed_at: 5 } }, ['metadata', 'indexed_at']],
      [{ ...good, bm25: { settings: good.bm25?.settings } }, ['bm25']],
      [
        { ...good, bm25: { ...good.bm25, lengths: { ...good.bm25?.lengths, epics: {} } } },
        ['bm25', 'lengths', 'epics', 'epic_12'],
      ],
      [
        { ...good, bm25: { ...good.bm25, frequencies: { nope: { tickets: { t: 2 } } } } },
        ['bm25', 'frequencies', 'nope'],
      ],
      [
        { ...good, bm25: { ...good.bm25, frequencies: { user: { tickets: { tkt_999: 2 } } } } },
        ['bm25', 'frequencies', 'user', 'tickets', 'tkt_999'],
      ],
      [
        { ...good, bm25: { ...good.bm25, frequencies: { user: { tickets: { tkt_123: -1 } } } } },
        ['bm25', 'frequencies', 'user', 'tickets', 'tkt_123'],
      ],
    ];
    for (const [json, path] of cases) {
      const error = (() => {
        try {
          FullTextIndex.fromJSON(json, options);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, JSON.stringify(path)).toBeInstanceOf(CorruptFileError);
      expect((error as CorruptFileError).issues[0]?.path).toEqual(path);
    }
  });

  it('save and load; a missing file is null, a corrupt one says where', async () => {
    const dir = await freshDir();
    const file = join(dir, 'search_index.json');
    expect(await FullTextIndex.load(file, options)).toBeNull();
    const index = ticketsAndEpics();
    await index.save(file);
    const text = await readFile(file, 'utf8');
    const loaded = await FullTextIndex.load(file, options);
    expect(loaded?.search('user authentication')).toEqual(index.search('user authentication'));
    await loaded?.save(file);
    expect(await readFile(file, 'utf8')).toBe(text);
    await writeFile(file, '{"terms": {"x": {"tickets": "oops"}}}');
    await expect(FullTextIndex.load(file, options)).rejects.toMatchObject({
      code: 'VELLUM_CORRUPT_FILE',
      path: file,
      line: 1,
    });
    await writeFile(
      file,
      JSON.stringify({ ...index.toJSON(), bm25: { ...index.toJSON().bm25, settings: {} } }),
    );
    await expect(FullTextIndex.load(file, options)).rejects.toMatchObject({
      code: 'VELLUM_INDEX_MISMATCH',
      path: file,
    });
  });
});
