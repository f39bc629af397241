import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StandardSchemaV1 } from '@vellum/atomic-io';
import { Collection, mapFileLayout } from '../src/index.js';
import { freshDir, onCleanup } from './helpers.js';

// JSON.parse keeps "__proto__" as an ordinary key; code that copies with plain
// assignment turns it into the prototype and the member silently disappears.
// zod strips such keys itself, so this schema passes documents through unchanged.
interface Note {
  id: string;
  title: string;
}
const Note: StandardSchemaV1<unknown, Note> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof value === 'object' && value !== null && 'id' in value && 'title' in value
        ? { value: value as Note }
        : { issues: [{ message: 'expected id and title' }] },
  },
};

async function openNotes(root: string): Promise<Collection<Note>> {
  const notes = await Collection.open<Note>({
    root,
    name: 'notes',
    schema: Note,
    layout: mapFileLayout<Note>({ file: 'notes.json' }),
    mode: 'write-through',
  });
  onCleanup(() => notes.close().catch(() => undefined));
  return notes;
}

describe('a "__proto__" key is data', () => {
  it('survives a merge patch, a projection and the map file, as an own member', async () => {
    const root = await freshDir();
    const notes = await openNotes(root);
    await notes.put({ id: 'n1', title: 'first' });
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "title": "second"}') as object;
    await notes.patch('n1', patch);
    const stored = await notes.get('n1');
    expect(Object.hasOwn(stored ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const [projected] = (await notes.query({ fields: ['__proto__.polluted', 'title'] })).items;
    expect(JSON.stringify(projected)).toBe('{"__proto__":{"polluted":true},"title":"second"}');

    await notes.put(JSON.parse('{"id": "__proto__", "title": "odd id"}') as Note);
    await notes.close();
    const file = JSON.parse(await readFile(join(root, 'notes.json'), 'utf8')) as object;
    expect(Object.keys(file).sort()).toEqual(['__proto__', 'n1']);
    const reopened = await openNotes(root);
    expect(await reopened.get('__proto__')).toEqual({ id: '__proto__', title: 'odd id' });
    const n1 = (await reopened.get('n1')) as unknown as Record<string, unknown>;
    expect(Object.keys(n1).sort()).toEqual(['__proto__', 'id', 'title']);
    expect(JSON.stringify(n1['__proto__'])).toBe('{"polluted":true}');
  });
});
