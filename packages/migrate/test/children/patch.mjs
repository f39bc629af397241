// Another process writing to the store's tasks collection. argv: root id patchJson
import { Collection, perDocumentLayout } from '@vellum/collection';

const [root, id, patch] = process.argv.slice(2);
const tasks = await Collection.open({
  root,
  name: 'tasks',
  schema: { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } },
  layout: perDocumentLayout({
    dir: 'tasks',
    pathOf: (task, docId) =>
      `${task.status === 'completed' ? 'completed' : 'active'}/${docId}.json`,
  }),
});
await tasks.patch(id, JSON.parse(patch));
await tasks.close();
