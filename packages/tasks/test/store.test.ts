import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDir, open } from './helpers.js';

const at = new Date('2026-11-21T12:00:00Z');
const clock = { now: () => at };

describe('metrics', () => {
  const metricsFile = (root: string): string =>
    join(root, 'metrics', `${at.toISOString().slice(0, 10)}.jsonl`);

  it("'on-close' writes the operations' metrics at close, or nothing when discarded", async () => {
    const root = join(await freshDir(), '.ap-state');
    // discarded: no metrics folder at all
    const failed = await open(root, { ...clock, metrics: 'on-close' });
    await failed.tasks.create({ story: 1, content: 'first' });
    await failed.close({ discardMetrics: true });
    expect(existsSync(join(root, 'metrics'))).toBe(false);

    const kept = await open(root, { ...clock, metrics: 'on-close' });
    await kept.tasks.get('TASK-001-001');
    expect(existsSync(join(root, 'metrics'))).toBe(false);
    await kept.close();
    const lines = (await readFile(metricsFile(root), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { operation: string }).operation)).toContain('get');
  });
});
