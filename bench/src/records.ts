// The documents of the storage-engine workloads: task-like records of about
// 300 bytes, with the fields the queries select on spread evenly.
import { z } from 'zod';

export const STATUSES = ['pending', 'in_progress', 'completed', 'blocked'] as const;
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export const PERSONAS = [
  'analyst',
  'architect',
  'developer',
  'designer',
  'product-owner',
  'qa',
  'scrum-master',
  'writer',
] as const;
export const STORY_COUNT = 50;

export const BenchRecord = z.object({
  id: z.string(),
  content: z.string().min(1),
  status: z.enum(STATUSES),
  priority: z.enum(PRIORITIES),
  metadata: z.object({
    created_at: z.iso.datetime(),
    story_id: z.string(),
    persona: z.enum(PERSONAS),
  }),
});
export type BenchRecord = z.infer<typeof BenchRecord>;

const CONTENT_CHARS = 140;
const FILLER =
  'Implement the acceptance criteria, update the tests and the docs, and hand over for review. ';
const EPOCH = Date.UTC(2026, 0, 1);

export function storyId(story: number): string {
  return `STORY-${String(story).padStart(3, '0')}`;
}

/** The `seq`-th record: deterministic, so every contender stores the same bytes. */
export function record(seq: number): BenchRecord {
  const prefix = `Record ${seq}: `;
  return {
    // Zero-padded: ids sort in insertion order, as in SQLite's rowid order.
    id: `REC-${String(seq).padStart(7, '0')}`,
    content: prefix + FILLER.repeat(2).slice(0, CONTENT_CHARS - prefix.length),
    status: STATUSES[seq % STATUSES.length] ?? 'pending',
    priority: PRIORITIES[seq % PRIORITIES.length] ?? 'medium',
    metadata: {
      created_at: new Date(EPOCH + seq * 1000).toISOString(),
      story_id: storyId(seq % STORY_COUNT),
      persona: PERSONAS[seq % PERSONAS.length] ?? 'developer',
    },
  };
}

/** Records `first..first+count-1`. */
export function records(count: number, first = 0): BenchRecord[] {
  return Array.from({ length: count }, (_, i) => record(first + i));
}
