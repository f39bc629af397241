import { describe, expect, it } from 'vitest';
import { allocate, currentCount, reconcile, reserve } from '../src/counters.js';
import { emptyCounters, emptyMappings, type MappingState } from '../src/formats.js';

function mappings(entries: Record<string, Record<string, string>>): MappingState {
  const state = emptyMappings();
  for (const [id, ids] of Object.entries(entries))
    state.tasks.set(id, new Map(Object.entries(ids)));
  return state;
}

describe('counters', () => {
  it('allocates the number after the last one handed out, per key or per tool', () => {
    const counters = emptyCounters();
    expect(allocate(counters, 'jira', 'PROJ')).toBe(1);
    expect(allocate(counters, 'jira', 'PROJ')).toBe(2);
    expect(allocate(counters, 'jira', 'TEST')).toBe(1);
    expect(allocate(counters, 'linear', 'PROJ')).toBe(1);
    expect(allocate(counters, 'github', undefined)).toBe(1);
    expect(allocate(counters, 'azure_devops', undefined)).toBe(1);
    expect(Object.fromEntries(counters.jira)).toEqual({ PROJ: 2, TEST: 1 });
  });

  it('refuses to grow past MAX_SAFE_INTEGER', () => {
    const counters = emptyCounters();
    counters.github = Number.MAX_SAFE_INTEGER;
    expect(allocate(counters, 'github', undefined)).toBeUndefined();
    expect(counters.github).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reserve only ever raises a counter', () => {
    const counters = emptyCounters();
    expect(reserve(counters, 'jira', 'PROJ', 10)).toBe(true);
    expect(reserve(counters, 'jira', 'PROJ', 3)).toBe(false);
    expect(reserve(counters, 'jira', 'PROJ', 10)).toBe(false);
    expect(currentCount(counters, 'jira', 'PROJ')).toBe(10);
    expect(reserve(counters, 'azure_devops', undefined, 7)).toBe(true);
    expect(currentCount(counters, 'azure_devops', undefined)).toBe(7);
  });

  it('reconcile raises counters to every mapped id and ignores what cannot collide', () => {
    const counters = emptyCounters();
    counters.jira.set('PROJ', 500);
    const changed = reconcile(
      counters,
      mappings({
        A: { jira: 'PROJ-456', linear: 'TEAM-789', github: '234', azure_devops: '1234' },
        B: { jira: 'TEST-0012', gitlab: '99', linear: 'team-5' },
      }),
    );
    expect(changed).toBe(true);
    expect(Object.fromEntries(counters.jira)).toEqual({ PROJ: 500, TEST: 12 });
    expect(Object.fromEntries(counters.linear)).toEqual({ TEAM: 789 });
    expect(counters.github).toBe(234);
    expect(counters.azure_devops).toBe(1234);
    expect(reconcile(counters, mappings({ A: { jira: 'PROJ-1' } }))).toBe(false);
  });
});
