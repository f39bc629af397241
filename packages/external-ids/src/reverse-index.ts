import type { MappingState } from './formats.js';
import { TOOLS } from './tools.js';

/** tool -> external id -> internal id. */
export type ReverseIndex = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * Inverts the mappings so `getInternal` is one lookup, not a scan. Built once
 * per version of the mapping file (the mapper keys it on the state object,
 * which is replaced only when the file changes).
 */
export function buildIndex(mappings: MappingState): ReverseIndex {
  const index = new Map(TOOLS.map((tool) => [tool as string, new Map<string, string>()]));
  for (const [internalId, ids] of mappings.tasks) {
    for (const [tool, externalId] of ids) {
      const byId = index.get(tool);
      // A file from another writer may map one id to two tasks: the first in file order wins.
      if (byId !== undefined && !byId.has(externalId)) byId.set(externalId, internalId);
    }
  }
  return index;
}
