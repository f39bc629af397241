// Runnable: node examples/health.mjs (after a build)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '@vellum/collection';
import {
  MetricsRecorder,
  buildHealthJson,
  checkHealth,
  readMetricsSummary,
  writeHealthJson,
} from '@vellum/health';

const root = join(await mkdtemp(join(tmpdir(), 'vellum-health-')), '.ap-state');
const Task = z.object({
  id: z.string(),
  content: z.string(),
  status: z.enum(['pending', 'completed']),
});

// Every collection operation is measured; the recorder buffers and appends in batches.
const metrics = new MetricsRecorder({ dir: join(root, 'metrics') });
const tasks = await Collection.open({
  root,
  name: 'tasks',
  schema: Task,
  layout: perDocumentLayout({ dir: 'tasks', pathOf: (task, id) => `${task.status}/${id}.json` }),
  indexes: { status: { key: (task) => task.status, file: 'indexes/task-by-status.json' } },
  onOperation: metrics.record,
});
for (let i = 1; i <= 20; i++) {
  await tasks.put({
    id: `TASK-001-${String(i).padStart(3, '0')}`,
    content: `task ${i}`,
    status: 'pending',
  });
}
await tasks.patch('TASK-001-001', { status: 'completed' });
await tasks.query({ where: { status: 'pending' } });
await tasks.flush();

// No backup was ever taken here: expect `degraded` with `backup_missing`.
const report = await checkHealth({ root, collections: [tasks], backupDir: root });
console.log(
  report.status,
  report.issues.map((issue) => `${issue.code}: ${issue.message}`),
);
for (const [name, check] of Object.entries(report.checks)) {
  console.log(`  ${name.padEnd(10)} ${check.status.padEnd(8)} ${check.durationMs} ms`);
}

await tasks.close();
await metrics.close();

// Another process (a CLI, a cron job) reads the daily metrics file instead of the recorder.
const health = await buildHealthJson({
  root,
  metrics: await readMetricsSummary(join(root, 'metrics')),
  cache: { hits: 85, misses: 15 },
  health: report,
});
await writeHealthJson(join(root, 'health.json'), health);
console.log(JSON.stringify(health, null, 2));
console.log(`written to ${join(root, 'health.json')}`);
