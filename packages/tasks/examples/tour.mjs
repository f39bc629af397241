// Runnable: node examples/tour.mjs (after a build). Works in a temporary .ap-state.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskStore } from '@vellum/tasks';

const root = join(await mkdtemp(join(tmpdir(), 'vellum-tasks-')), '.ap-state');
const store = await TaskStore.open({ root });

// Tasks: ids allocated per story, links kept symmetric, cycles refused.
const design = await store.tasks.create({
  story: 1,
  content: 'Design the form',
  priority: 'high',
  metadata: { story_id: 'STORY-001', persona: 'architect' },
});
const build = await store.tasks.create({
  story: 1,
  content: 'Build the form',
  depends_on: [design.id],
  metadata: { story_id: 'STORY-001', persona: 'dev' },
});
console.log(
  'ready:',
  (await store.tasks.ready()).map((t) => t.id),
);
await store.tasks.complete(design.id); // moves to tasks/completed/YYYY-MM/
console.log(
  'ready after completing the design:',
  (await store.tasks.ready()).map((t) => t.id),
);
console.log(
  'by story:',
  (await store.tasks.list({ story: 'STORY-001', fields: ['id', 'status'] })).items,
);
try {
  await store.tasks.addDependency(design.id, build.id);
} catch (error) {
  console.log(error.code, error.issues[0].message);
}

// Integration points, with execution metrics in integrations/metrics/YYYY-MM-DD.jsonl.
const ip = await store.integrations.register({
  type: 'task_creation',
  source: { type: 'persona', name: 'sm' },
  target: { type: 'tool', name: 'TodoWrite' },
});
await store.integrations.recordExecution(ip.id, { duration_ms: 42, success: true });
await store.integrations.disable(ip.id); // moves to integrations/disabled/

// Entity state with validated transitions and states/history/YYYY-MM/state-changes.jsonl.
await store.states.transition('story', 'STORY-001', {
  to: { status: 'in_progress', phase: 'development' },
  changed_by: 'sm',
  reason: 'approved',
});

// Workflows and sessions.
const wf = await store.workflows.start({
  workflow_type: 'delivery',
  initiated_by: 'persona',
  steps: [{ step_id: 'build', step_type: 'task' }],
});
await store.workflows.updateStep(wf.workflow_id, 'build', { status: 'running' });
const session = await store.sessions.start({ active_persona: 'dev' });
await store.sessions.recordEvent(session.session_id, 'task_created', { id: build.id });

// One transaction from a JSONL-shaped list of updates (batch_update_tasks).
await store.tasks.batchUpdate([{ id: build.id, status: 'in_progress' }]);

await store.close();
console.log(`files in ${root}`);
