// argv: role root [count]
//   create: `count` tasks for story 001, printing each id
//   batch: endless batchUpdate of 10 tasks (a growing "round" member), printing 'ack <round>'
import { TaskStore } from '../../dist/index.js';

const [role, root, count] = process.argv.slice(2);
const store = await TaskStore.open({ root, lockTimeout: 60_000, flushDelayMs: 5 });
process.stdout.write('ready\n');
if (role === 'create') {
  for (let i = 0; i < Number(count); i++) {
    const task = await store.tasks.create({
      story: 1,
      content: `from ${process.pid} #${i}`,
      metadata: { story_id: 'STORY-001', persona: `p${i % 3}` },
    });
    process.stdout.write(`${task.id}\n`);
  }
  await store.close();
} else if (role === 'batch') {
  for (let round = 1; ; round++) {
    const updates = Array.from({ length: 10 }, (_, k) => ({
      id: `TASK-005-${String(k + 1).padStart(3, '0')}`,
      metadata: { line_number: round },
    }));
    await store.tasks.batchUpdate(updates);
    process.stdout.write(`ack ${round}\n`);
  }
}
