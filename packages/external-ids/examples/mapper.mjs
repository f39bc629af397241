// The README's usage example, runnable after a build: node examples/mapper.mjs
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExternalIdMapper, StateUnreadableError } from '@vellum/external-ids';

const projectRoot = await mkdtemp(join(tmpdir(), 'vellum-external-ids-'));
// Files live in <projectRoot>/.claude/state/, as in spec 003.
const mapper = new ExternalIdMapper({ projectRoot });

// Allocate: the next id per tool (and per project / team key), under one cross-process lock.
console.log(await mapper.mapToExternal('TASK-E01-b2c4', 'jira', 'PROJ')); // PROJ-1
console.log(await mapper.mapToExternal('TASK-E01-b2c4', 'linear', 'TEAM')); // TEAM-1
console.log(await mapper.mapToExternal('TASK-E01-b2c4', 'azure_devops')); // 1
console.log(await mapper.mapToExternal('TASK-E01-b2c4', 'jira')); // PROJ-1 again: idempotent

// Record an id the tracker really assigned; the counter moves past it.
await mapper.recordExternal('TASK-E02-9f10', 'github', '234');
console.log(await mapper.mapToExternal('TASK-E03-0001', 'github')); // 235

// Look up both ways; a second instance (or process) sees the same state.
const other = new ExternalIdMapper({ projectRoot });
console.log(await other.getExternal('TASK-E01-b2c4', 'linear')); // TEAM-1
console.log(await other.getInternal('github', '234')); // TASK-E02-9f10
console.log(await other.list());

// Sync metadata lives in its own file, so the spec's two files stay exact.
await mapper.updateSyncMetadata('TASK-E01-b2c4', 'jira', {
  lastSyncedAt: new Date(),
  contentHash: 'sha256:5d41402a',
  remoteVersion: 7,
});
console.log(await other.getSyncMetadata('TASK-E01-b2c4', 'jira'));

// A corrupt file is restored from its .bak (the bad one is kept aside) and reported.
const state = mapper.paths.dir;
await writeFile(join(state, 'external_id_mapping.json'), '{"version": "1.0", "mapp');
const reporting = new ExternalIdMapper({
  projectRoot,
  onRecover: (report) =>
    console.log(`restored ${report.path}, bad copy at ${report.quarantinedTo}`),
});
console.log(await reporting.getExternal('TASK-E01-b2c4', 'jira')); // PROJ-1

// When the file and its .bak are both unreadable, nothing is written until you choose.
await writeFile(join(state, 'external_id_mapping.json'), 'garbage');
await writeFile(join(state, 'external_id_mapping.json.bak'), 'garbage');
try {
  await reporting.mapToExternal('TASK-E04-0002', 'jira');
} catch (error) {
  if (!(error instanceof StateUnreadableError)) throw error;
  console.log(error.code, error.recovery);
  // The explicit way out: the unreadable files are moved aside, the counters are kept.
  console.log(await reporting.reset('mappings'));
  console.log(await reporting.mapToExternal('TASK-E04-0002', 'jira')); // PROJ-2, never PROJ-1 again
}
