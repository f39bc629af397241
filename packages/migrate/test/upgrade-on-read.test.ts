import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Collection, ValidationError, perDocumentLayout } from '@vellum/collection';
import { z } from 'zod';
import {
  DocumentVersionError,
  defineMigrations,
  upgradeDocument,
  upgradingSchema,
} from '../src/index.js';
import { migrations, registry } from './fixtures.js';
import { freshDir } from './helpers.js';

const NOW = new Date('2026-11-21T10:00:00.000Z');
const v1 = { version: '1', id: 'T1', content: 'Write docs', status: 'blocked', metadata: {} };

describe('upgradeDocument', () => {
  it('applies every up transform from the document version to the latest, and stamps it', () => {
    const input = structuredClone(v1);
    const upgraded = upgradeDocument(input, registry, { collection: 'tasks', now: () => NOW });
    expect(upgraded).toEqual({
      doc: {
        version: '3',
        id: 'T1',
        status: 'blocked',
        metadata: {},
        priority: 'high',
        title: 'Write docs',
        _migration: {
          from_version: '1',
          migrated_at: NOW.toISOString(),
          migration_id: '0003-title-and-tag-list',
        },
      },
      from: '1',
      to: '3',
      applied: ['0002-priority', '0003-title-and-tag-list'],
    });
    expect(input).toEqual(v1);
  });

  it('a document at the latest version is returned as it is; without a version it is taken as latest', () => {
    const current = { version: '3', id: 'T1', title: 'x' };
    expect(upgradeDocument(current, registry, { collection: 'tasks' }).doc).toEqual(current);
    expect(upgradeDocument({ id: 'T2' }, registry, { collection: 'tasks' })).toMatchObject({
      doc: { version: '3', id: 'T2' },
      applied: [],
    });
    expect(
      upgradeDocument({ id: 'T3', content: 'old' }, registry, {
        collection: 'tasks',
        unversionedAs: 2,
      }).doc,
    ).toMatchObject({ version: '3', title: 'old' });
  });

  it('refuses documents newer than the code, of unknown versions, or behind an offline-only migration', () => {
    const offline = defineMigrations([
      ...migrations,
      {
        id: '0004-split-files',
        from: 3,
        to: 4,
        up: {},
        down: {},
        store: { up: () => undefined, down: () => undefined },
      },
    ]);
    const attempt = (doc: Record<string, unknown>, r = registry): unknown => {
      try {
        return upgradeDocument(doc, r, { collection: 'tasks' });
      } catch (error) {
        return error;
      }
    };
    expect(attempt({ version: '4', id: 'x' })).toBeInstanceOf(DocumentVersionError);
    expect(attempt({ version: '4', id: 'x' })).toMatchObject({
      code: 'VELLUM_DOCUMENT_VERSION',
      message:
        'tasks document is at version 4, newer than this code knows (3): upgrade the application',
    });
    expect(attempt({ version: '2.5', id: 'x' })).toMatchObject({ code: 'VELLUM_DOCUMENT_VERSION' });
    expect(attempt({ version: 'two', id: 'x' })).toMatchObject({ code: 'VELLUM_DOCUMENT_VERSION' });
    expect((attempt(v1, offline) as Error).message).toContain('needs migration 0004-split-files');
  });
});

describe('upgradingSchema as a collection schema', () => {
  const Task = z.object({
    id: z.string(),
    title: z.string(),
    status: z.string(),
    priority: z.enum(['low', 'medium', 'high']),
  });

  async function open(root: string): Promise<Collection<z.infer<typeof Task>>> {
    return Collection.open({
      root,
      name: 'tasks',
      schema: upgradingSchema(Task, registry, { collection: 'tasks', now: () => NOW }),
      layout: perDocumentLayout({ dir: 'tasks', pathOf: (_task, id) => `${id}.json` }),
    });
  }

  it('an old file adopted at open is stored at the latest version, version kept though zod strips unknown keys', async () => {
    const root = await freshDir();
    await mkdir(join(root, 'tasks'), { recursive: true });
    await writeFile(join(root, 'tasks/T1.json'), JSON.stringify(v1));
    const tasks = await open(root);
    expect(await tasks.get('T1')).toEqual({
      id: 'T1',
      title: 'Write docs',
      status: 'blocked',
      priority: 'high',
      version: '3',
      _migration: {
        from_version: '1',
        migrated_at: NOW.toISOString(),
        migration_id: '0003-title-and-tag-list',
      },
    });
    await tasks.close();
  });

  it('writes are stamped with the latest version; a document from newer code is a validation issue', async () => {
    const root = await freshDir();
    const tasks = await open(root);
    await tasks.put({ id: 'T2', title: 'new', status: 'pending', priority: 'low' });
    expect(await tasks.get('T2')).toMatchObject({ version: '3' });
    const error = await tasks
      .put({ version: '4', id: 'T3', title: 'x', status: 'pending', priority: 'low' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        path: ['version'],
        message:
          'tasks document is at version 4, newer than this code knows (3): upgrade the application',
      },
    ]);
    // The inner schema's own issues come through unchanged.
    await expect(
      tasks.put({ id: 'T4', title: 'x', status: 'pending', priority: 'urgent' }),
    ).rejects.toMatchObject({
      code: 'VELLUM_VALIDATION',
      issues: [expect.objectContaining({ path: ['priority'] })],
    });
    await tasks.close();
  });
});
