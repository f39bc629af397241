import type { CountersState, MappingState } from './formats.js';
import { isKeyedTool, isTool, occupiedSlot, type ExternalTool } from './tools.js';

/**
 * Counter arithmetic. A counter holds the last number handed out for its slot
 * (Jira and Linear: one per key; Azure DevOps and GitHub: one per tool), which
 * is what spec 003's example shows (`TEAM-789` mapped, `"TEAM": 789` counted).
 */

export function currentCount(
  counters: CountersState,
  tool: ExternalTool,
  key: string | undefined,
): number {
  if (isKeyedTool(tool)) return counters[tool].get(key ?? '') ?? 0;
  return counters[tool];
}

function setCount(
  counters: CountersState,
  tool: ExternalTool,
  key: string | undefined,
  value: number,
): void {
  if (isKeyedTool(tool)) counters[tool].set(key ?? '', value);
  else counters[tool] = value;
}

/**
 * Raises a counter to `number` if it is lower; never lowers it.
 * @returns whether the counter changed.
 */
export function reserve(
  counters: CountersState,
  tool: ExternalTool,
  key: string | undefined,
  number: number,
): boolean {
  if (currentCount(counters, tool, key) >= number) return false;
  setCount(counters, tool, key, number);
  return true;
}

/**
 * Raises every counter to at least the highest number mapped for its slot.
 * Counters are written before mappings, so this only changes something when
 * another writer (spec 003's tool, a hand edit, a restored backup) left a
 * mapping file ahead of its counters; without it that state would hand out an
 * id that is already in use.
 * @returns whether any counter changed.
 */
export function reconcile(counters: CountersState, mappings: MappingState): boolean {
  let changed = false;
  for (const ids of mappings.tasks.values()) {
    for (const [tool, id] of ids) {
      if (!isTool(tool)) continue;
      const slot = occupiedSlot(tool, id);
      if (slot !== undefined && reserve(counters, tool, slot.key, slot.number)) changed = true;
    }
  }
  return changed;
}

/**
 * Advances the slot's counter by one.
 * @returns the new number, or `undefined` when the counter cannot grow (at `MAX_SAFE_INTEGER`).
 */
export function allocate(
  counters: CountersState,
  tool: ExternalTool,
  key: string | undefined,
): number | undefined {
  const next = currentCount(counters, tool, key) + 1;
  if (!Number.isSafeInteger(next)) return undefined;
  setCount(counters, tool, key, next);
  return next;
}
