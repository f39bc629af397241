import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TOOLS,
  formatExternalId,
  isKeyedTool,
  isTool,
  keyProblem,
  occupiedSlot,
  parseExternalId,
} from '../src/tools.js';

describe('tools', () => {
  it('knows exactly the four trackers of spec 003', () => {
    expect(TOOLS).toEqual(['jira', 'azure_devops', 'linear', 'github']);
    expect(TOOLS.filter(isKeyedTool)).toEqual(['jira', 'linear']);
    for (const value of ['gitlab', 'Jira', 'azure-devops', '', 1, null, undefined]) {
      expect(isTool(value)).toBe(false);
    }
  });

  it('parses ids in the form each tracker hands them out', () => {
    expect(parseExternalId('jira', 'PROJ-456')).toEqual({ key: 'PROJ', number: 456 });
    expect(parseExternalId('jira', 'MY_PROJ2-1')).toEqual({ key: 'MY_PROJ2', number: 1 });
    expect(parseExternalId('linear', 'TEAM-789')).toEqual({ key: 'TEAM', number: 789 });
    expect(parseExternalId('azure_devops', '1234')).toEqual({ key: undefined, number: 1234 });
    expect(parseExternalId('github', '234')).toEqual({ key: undefined, number: 234 });
  });

  it.each([
    ['jira', 'proj-1'],
    ['jira', 'P-1'], // Jira keys have at least two characters
    ['jira', 'PROJ-0'],
    ['jira', 'PROJ-01'],
    ['jira', 'PROJ'],
    ['jira', '1234'],
    ['jira', 'PROJ-1 '],
    ['linear', 'MY_TEAM-1'], // no underscores in Linear team keys
    ['azure_devops', '0'],
    ['azure_devops', '-5'],
    ['azure_devops', '012'],
    ['azure_devops', '12.5'],
    ['github', '#234'],
    ['github', 'PROJ-1'],
    ['github', '99999999999999999999'],
    ['jira', 'PROJ-99999999999999999999'],
  ] as const)('rejects %s id %j', (tool, id) => {
    expect(typeof parseExternalId(tool, id)).toBe('string');
  });

  it('checks project and team keys', () => {
    expect(keyProblem('jira', 'PROJ')).toBeUndefined();
    expect(keyProblem('linear', 'A')).toBeUndefined();
    for (const key of ['', 'proj', 'P', '1PROJ', 'PR-OJ', 'PROJ ', 'Ü']) {
      expect(keyProblem('jira', key)).toMatch(/must be/);
    }
    expect(keyProblem('linear', 'MY_TEAM')).toMatch(/must be/);
    expect(keyProblem('linear', 'T'.repeat(51))).toMatch(/must be/);
  });

  it('reserves the slot of lenient forms another writer may have stored', () => {
    expect(occupiedSlot('jira', 'PROJ-0457')).toEqual({ key: 'PROJ', number: 457 });
    expect(occupiedSlot('github', '0234')).toEqual({ key: undefined, number: 234 });
    expect(occupiedSlot('jira', 'proj-5')).toBeUndefined(); // a key we would never allocate
    expect(occupiedSlot('jira', 'PROJ-99999999999999999999')).toBeUndefined();
    expect(occupiedSlot('github', '99999999999999999999')).toBeUndefined();
    expect(occupiedSlot('azure_devops', 'abc')).toBeUndefined();
  });

  it('formats and parses back every id it can hand out', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOOLS),
        fc.stringMatching(/^[A-Z][A-Z0-9]{1,9}$/),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (tool, key, number) => {
          const slotKey = isKeyedTool(tool) ? key : undefined;
          const id = formatExternalId(slotKey, number);
          expect(parseExternalId(tool, id)).toEqual({ key: slotKey, number });
          expect(occupiedSlot(tool, id)).toEqual({ key: slotKey, number });
        },
      ),
    );
  });
});
