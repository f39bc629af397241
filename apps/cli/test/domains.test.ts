// The commands over spec 000's other entities (`vellum integrations | state |
// sessions | workflows`) and spec 003's external ids (`vellum ids`), end to end.
// (One file so that all of them run concurrently: vitest runs files one after
// another on a 2-core machine.)
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectHumanError,
  expectJsonError,
  expectOk,
  expectSameStore,
  monthOf,
  okJson,
  removeTempRoots,
  snapshot,
  seeded,
  storyTasks,
  SUITE_TIMEOUT_MS,
  tempRoot,
  vellumIn,
} from './helpers.js';

interface Page<T> {
  items: T[];
  total?: number;
}
interface IntegrationPoint {
  id: string;
  type: string;
  source: { type: string; name: string };
  target: { type: string; name: string };
  configuration: { enabled: boolean };
  metrics: {
    executions: number;
    failures: number;
    avg_duration_ms: number;
    last_execution: string | null;
  };
}
interface EntityState {
  entity_type: string;
  entity_id: string;
  current_state: { status: string; phase?: string; progress_percentage?: number };
  state_history: { from_state: unknown; to_state: { status: string }; changed_by: string }[];
}
interface Session {
  session_id: string;
  start_time: string;
  end_time?: string | null;
  active_persona?: string;
  events: { event_type: string; event_data?: unknown }[];
  metrics: Record<string, number>;
}
interface Workflow {
  workflow_id: string;
  workflow_type: string;
  initiated_by: string;
  status: string;
  start_time: string;
  end_time?: string;
  steps: { step_id: string; step_type: string; status: string }[];
}

afterAll(removeTempRoots);

const readJsonLines = async (path: string): Promise<Record<string, unknown>[]> =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.concurrent('spec 000 entities', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('integrations add, list, get, enable, disable, record', async () => {
    const root = await tempRoot('integrations');
    const v = vellumIn(root);
    const dir = join(root, '.ap-state', 'integrations');

    // add: human, then --json with an explicit id
    const added = expectOk(
      await v(
        'integrations',
        'add',
        '--type',
        'task_creation',
        '--source',
        'persona:sm',
        '--target',
        'tool:TodoWrite',
      ),
    );
    expect(added.stdout).toMatch(
      /^registered IP-001 +enabled +task_creation +sm -> TodoWrite +0 runs, 0 failed, avg 0 ms\n$/,
    );
    const reporting = okJson<IntegrationPoint>(
      await v(
        'integrations',
        'add',
        '--type',
        'reporting',
        '--source',
        'task:TASK-001-001',
        '--target',
        'system:slack:#dev',
        '--id',
        'IP-010',
        '--json',
      ),
    );
    expect(reporting).toMatchObject({
      id: 'IP-010',
      type: 'reporting',
      source: { type: 'task', name: 'TASK-001-001' },
      target: { type: 'system', name: 'slack:#dev' },
      configuration: { enabled: true },
      metrics: { executions: 0, failures: 0 },
    });
    expect(existsSync(join(dir, 'active', 'IP-010.json'))).toBe(true);

    // list and get
    const listed = expectOk(await v('integrations', 'list'));
    expect(
      listed.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual(['IP-001', 'IP-010']);
    const ofType = okJson<Page<IntegrationPoint>>(
      await v('integrations', 'list', '--type', 'reporting', '--json'),
    );
    expect(ofType.items.map((ip) => ip.id)).toEqual(['IP-010']);
    const got = expectOk(await v('integrations', 'get', 'IP-010'));
    expect(JSON.parse(got.stdout)).toEqual(reporting);
    expect(okJson(await v('integrations', 'get', 'IP-010', '--json'))).toEqual(reporting);

    // disable / enable move the file
    expect(expectOk(await v('integrations', 'disable', 'IP-001')).stdout).toMatch(
      /^IP-001 +disabled /,
    );
    expect(existsSync(join(dir, 'disabled', 'IP-001.json'))).toBe(true);
    expect(existsSync(join(dir, 'active', 'IP-001.json'))).toBe(false);
    const disabled = okJson<Page<IntegrationPoint>>(
      await v('integrations', 'list', '--disabled', '--json'),
    );
    expect(disabled.items.map((ip) => [ip.id, ip.configuration.enabled])).toEqual([
      ['IP-001', false],
    ]);
    expect(
      okJson<IntegrationPoint>(await v('integrations', 'enable', 'IP-001', '--json')).configuration
        .enabled,
    ).toBe(true);
    expect(existsSync(join(dir, 'active', 'IP-001.json'))).toBe(true);
    expect(existsSync(join(dir, 'disabled', 'IP-001.json'))).toBe(false);
    okJson(await v('integrations', 'disable', 'IP-010', '--json'));
    expect(expectOk(await v('integrations', 'enable', 'IP-010')).stdout).toMatch(
      /^IP-010 +enabled /,
    );

    // record: metrics in the document and one line per execution in metrics/YYYY-MM-DD.jsonl
    expect(
      expectOk(await v('integrations', 'record', 'IP-001', '--duration', '120')).stdout,
    ).toMatch(/1 runs, 0 failed, avg 120 ms/);
    const recorded = okJson<IntegrationPoint>(
      await v(
        'integrations',
        'record',
        'IP-001',
        '--duration',
        '80',
        '--failed',
        '--error',
        'timeout',
        '--json',
      ),
    );
    expect(recorded.metrics).toMatchObject({ executions: 2, failures: 1, avg_duration_ms: 100 });
    expect(typeof recorded.metrics.last_execution).toBe('string');
    const day = (recorded.metrics.last_execution ?? '').slice(0, 10);
    expect(await readJsonLines(join(dir, 'metrics', `${day}.jsonl`))).toMatchObject([
      { integration_id: 'IP-001', duration_ms: 120, status: 'success' },
      { integration_id: 'IP-001', duration_ms: 80, status: 'failure', error: 'timeout' },
    ]);
    expect(
      JSON.parse(await readFile(join(dir, 'index', 'by-type.json'), 'utf8')) as unknown,
    ).toEqual({ reporting: ['IP-010'], task_creation: ['IP-001'] });

    // errors
    expectHumanError(await v('integrations', 'get', 'IP-404'), 3, 'VELLUM_NOT_FOUND');
    expectJsonError(await v('integrations', 'enable', 'IP-404', '--json'), 3, 'VELLUM_NOT_FOUND');
    expectHumanError(
      await v('integrations', 'record', 'IP-404', '--duration', '1'),
      3,
      'VELLUM_NOT_FOUND',
    );
    // (bad --type, --source and ids: see the errors test in tasks.test.ts)
    // an id that is taken: a conflict
    expectJsonError(
      await v(
        'integrations',
        'add',
        '--type',
        'reporting',
        '--source',
        'persona:sm',
        '--target',
        'tool:x',
        '--id',
        'IP-010',
        '--json',
      ),
      4,
      'VELLUM_CONFLICT',
    );
  });

  it('state set, get, list', async () => {
    const root = await tempRoot('state');
    const v = vellumIn(root);

    const set = expectOk(
      await v(
        'state',
        'set',
        'story',
        'STORY-001',
        'in_progress',
        '--by',
        'sm',
        '--reason',
        'approved',
      ),
    );
    expect(set.stdout).toBe('story STORY-001: in_progress\n');
    const state = okJson<EntityState>(
      await v(
        'state',
        'set',
        'story',
        'STORY-001',
        'completed',
        '--by',
        'qa',
        '--reason',
        'accepted',
        '--phase',
        'review',
        '--assigned-to',
        'dev',
        '--progress',
        '100',
        '--json',
      ),
    );
    expect(state).toMatchObject({
      entity_type: 'story',
      entity_id: 'STORY-001',
      current_state: { status: 'completed', phase: 'review', progress_percentage: 100 },
    });
    expect(state.state_history.map((h) => [h.to_state.status, h.changed_by])).toEqual([
      ['in_progress', 'sm'],
      ['completed', 'qa'],
    ]);
    okJson(
      await v(
        'state',
        'set',
        'task',
        'TASK-001-001',
        'blocked',
        '--by',
        'dev',
        '--reason',
        'waiting',
        '--json',
      ),
    );

    // the files
    const current = join(root, '.ap-state', 'states', 'current', 'story', 'STORY-001.json');
    expect(JSON.parse(await readFile(current, 'utf8'))).toEqual(state);
    const history = await readJsonLines(
      join(
        root,
        '.ap-state',
        'states',
        'history',
        monthOf(new Date().toISOString()),
        'state-changes.jsonl',
      ),
    );
    expect(history).toHaveLength(3);

    // get
    expect(JSON.parse(expectOk(await v('state', 'get', 'story', 'STORY-001')).stdout)).toEqual(
      state,
    );
    expect(okJson(await v('state', 'get', 'story', 'STORY-001', '--json'))).toEqual(state);

    // list
    expect(expectOk(await v('state', 'list')).stdout).toMatch(
      /^story +STORY-001 +completed\ntask +TASK-001-001 +blocked\n$/,
    );
    const blocked = okJson<Page<EntityState>>(
      await v('state', 'list', '--type', 'task', '--status', 'blocked', '--json'),
    );
    expect(blocked.items.map((s) => s.entity_id)).toEqual(['TASK-001-001']);
    expect(
      okJson<Page<EntityState>>(await v('state', 'list', '--type', 'epic', '--json')).items,
    ).toEqual([]);

    // errors
    expectHumanError(await v('state', 'get', 'story', 'STORY-404'), 3, 'VELLUM_NOT_FOUND');
    expectJsonError(await v('state', 'get', 'epic', 'EPIC-1', '--json'), 3, 'VELLUM_NOT_FOUND');
    expectJsonError(
      await v('state', 'set', 'planet', 'X', 'pending', '--by', 'a', '--reason', 'b', '--json'),
      2,
      'VELLUM_VALIDATION',
    );
  });

  it('sessions start, event, end, list, get', async () => {
    const root = await tempRoot('sessions');
    const v = vellumIn(root);

    const started = expectOk(await v('sessions', 'start', '--persona', 'dev'));
    const first = /^started (\S+)\n$/.exec(started.stdout)?.[1];
    expect(first).toBeDefined();
    const second = okJson<Session>(await v('sessions', 'start', '--persona', 'qa', '--json'));
    expect(second).toMatchObject({ active_persona: 'qa', events: [] });
    const id = second.session_id;

    // events: human, then --json with data; the spec's counters move
    expect(
      expectOk(
        await v('sessions', 'event', id, 'task_created', '--data', '{"task":"TASK-001-001"}'),
      ).stdout,
    ).toMatch(new RegExp(`^${id}: 1 events, \\{.*"tasks_created":1`));
    const after = okJson<Session>(await v('sessions', 'event', id, 'handoff', '--json'));
    expect(after.events.map((e) => e.event_type)).toEqual(['task_created', 'handoff']);
    expect(after.events[0]?.event_data).toEqual({ task: 'TASK-001-001' });
    expect(after.metrics).toMatchObject({ tasks_created: 1, handoffs: 1 });

    // list: both active
    const listed = expectOk(await v('sessions', 'list'));
    expect(listed.stdout).toContain(`${id}  active  qa`);
    expect(listed.stdout).toContain(`${first ?? '?'}  active  dev`);

    // end: human, moves the file to ended/YYYY-MM/
    expect(expectOk(await v('sessions', 'end', id)).stdout).toBe(`ended ${id}\n`);
    const ended = okJson<Session>(await v('sessions', 'get', id, '--json'));
    expect(typeof ended.end_time).toBe('string');
    expect(
      existsSync(
        join(root, '.ap-state', 'sessions', 'ended', monthOf(ended.end_time ?? ''), `${id}.json`),
      ),
    ).toBe(true);
    expect(existsSync(join(root, '.ap-state', 'sessions', 'active', `${id}.json`))).toBe(false);
    expect(JSON.parse(expectOk(await v('sessions', 'get', id)).stdout)).toEqual(ended);
    const endedFirst = okJson<Session>(await v('sessions', 'end', first ?? '', '--json'));
    expect(endedFirst.session_id).toBe(first);

    // list --active: none left
    expect(okJson<Page<Session>>(await v('sessions', 'list', '--active', '--json')).items).toEqual(
      [],
    );
    expect(okJson<Page<Session>>(await v('sessions', 'list', '--json')).items).toHaveLength(2);

    // errors
    expectJsonError(await v('sessions', 'event', id, 'handoff', '--json'), 2, 'VELLUM_VALIDATION');
    expectHumanError(await v('sessions', 'end', id), 2, 'VELLUM_VALIDATION');
    expectJsonError(await v('sessions', 'get', 'nope', '--json'), 3, 'VELLUM_NOT_FOUND');
    expectHumanError(await v('sessions', 'event', 'nope', 'handoff'), 3, 'VELLUM_NOT_FOUND');
  });

  it('workflows start, step, finish, list, get', async () => {
    const root = await tempRoot('workflows');
    const v = vellumIn(root);

    const started = expectOk(
      await v('workflows', 'start', 'delivery', '--steps', 'plan:task,review:validation'),
    );
    const first = /^started (\S+) +running +delivery +plan:pending review:pending\n$/.exec(
      started.stdout,
    )?.[1];
    expect(first, started.stdout).toBeDefined();
    const wf = okJson<Workflow>(
      await v(
        'workflows',
        'start',
        'release',
        '--steps',
        'build:automation,ship:handoff',
        '--by',
        'automation',
        '--json',
      ),
    );
    expect(wf).toMatchObject({
      workflow_type: 'release',
      initiated_by: 'automation',
      status: 'running',
      steps: [
        { step_id: 'build', step_type: 'automation', status: 'pending' },
        { step_id: 'ship', step_type: 'handoff', status: 'pending' },
      ],
    });
    const id = wf.workflow_id;
    expect(existsSync(join(root, '.ap-state', 'workflows', 'running', `${id}.json`))).toBe(true);

    // step: human and --json
    expect(expectOk(await v('workflows', 'step', id, 'build', 'running')).stdout).toBe(
      `${id}  running   release  build:running ship:pending\n`,
    );
    const stepped = okJson<Workflow>(
      await v('workflows', 'step', id, 'build', 'completed', '--json'),
    );
    expect(stepped.steps.map((s) => s.status)).toEqual(['completed', 'pending']);
    okJson(await v('workflows', 'step', id, 'ship', 'skipped', '--json'));
    // a step the workflow does not have is not found, not bad input
    expect(
      expectJsonError(
        await v('workflows', 'step', id, 'deploy', 'running', '--json'),
        3,
        'VELLUM_NOT_FOUND',
      ).error.message,
    ).toContain('no step deploy');

    // list / get while running
    expect(
      okJson<Page<Workflow>>(await v('workflows', 'list', '--status', 'running', '--json'))
        .items.map((w) => w.workflow_id)
        .sort(),
    ).toEqual([first, id].sort());

    // finish: human, file moves to finished/YYYY-MM/
    expect(expectOk(await v('workflows', 'finish', id, 'completed')).stdout).toBe(
      `${id}  completed release  build:completed ship:skipped\n`,
    );
    const finished = okJson<Workflow>(await v('workflows', 'get', id, '--json'));
    expect(finished.status).toBe('completed');
    expect(
      existsSync(
        join(
          root,
          '.ap-state',
          'workflows',
          'finished',
          monthOf(finished.end_time ?? finished.start_time),
          `${id}.json`,
        ),
      ),
    ).toBe(true);
    expect(JSON.parse(expectOk(await v('workflows', 'get', id)).stdout)).toEqual(finished);
    expect(
      okJson<Workflow>(await v('workflows', 'finish', first ?? '', 'cancelled', '--json')).status,
    ).toBe('cancelled');
    const all = expectOk(await v('workflows', 'list'));
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(
      okJson<Page<Workflow>>(await v('workflows', 'list', '--status', 'running', '--json')).items,
    ).toEqual([]);

    // errors
    expectJsonError(await v('workflows', 'get', 'nope', '--json'), 3, 'VELLUM_NOT_FOUND');
    expectHumanError(
      await v('workflows', 'step', 'nope', 'plan', 'running'),
      3,
      'VELLUM_NOT_FOUND',
    );

    expectJsonError(await v('workflows', 'finish', id, 'done', '--json'), 2, 'VELLUM_VALIDATION');
    expectJsonError(
      await v('workflows', 'step', first ?? '', 'plan', 'flying', '--json'),
      2,
      'VELLUM_VALIDATION',
    );
  });
});

interface Mapping {
  internalId: string;
  ids: Record<string, string>;
}

describe.concurrent('vellum ids', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('map, record, get, reverse, list, unmap, in human and --json form', async () => {
    // only a task of the store gets an id
    const { root, v } = await seeded('ids', storyTasks(6));
    const state = join(root, '.claude', 'state');

    // map: allocates per tool (and per project key), idempotent
    expect(
      expectOk(await v('ids', 'map', 'TASK-001-001', 'jira', '--project', 'PROJ')).stdout,
    ).toBe('TASK-001-001 -> PROJ-1 (jira)\n');
    expect(
      okJson(await v('ids', 'map', 'TASK-001-002', 'jira', '--project', 'PROJ', '--json')),
    ).toEqual({ internalId: 'TASK-001-002', tool: 'jira', externalId: 'PROJ-2' });
    expect(
      okJson(await v('ids', 'map', 'TASK-001-001', 'jira', '--project', 'OTHER', '--json')),
    ).toMatchObject({ externalId: 'PROJ-1' });
    expect(
      okJson(await v('ids', 'map', 'TASK-001-001', 'linear', '--project', 'TEAM', '--json')),
    ).toMatchObject({ externalId: 'TEAM-1' });
    expect(okJson(await v('ids', 'map', 'TASK-001-001', 'azure_devops', '--json'))).toMatchObject({
      externalId: '1',
    });

    // record: an id the tracker assigned; the counter moves past it
    expect(expectOk(await v('ids', 'record', 'TASK-001-002', 'github', '234')).stdout).toBe(
      'recorded TASK-001-002 -> 234\n',
    );
    expect(okJson(await v('ids', 'record', 'TASK-001-003', 'jira', 'PROJ-10', '--json'))).toEqual({
      internalId: 'TASK-001-003',
      tool: 'jira',
      externalId: 'PROJ-10',
    });
    expect(okJson(await v('ids', 'map', 'TASK-001-004', 'github', '--json'))).toMatchObject({
      externalId: '235',
    });
    expect(expectOk(await v('ids', 'map', 'TASK-001-005', 'jira')).stdout).toBe(
      'TASK-001-005 -> PROJ-11 (jira)\n',
    );

    // the files are spec 003's
    const mapping = JSON.parse(await readFile(join(state, 'external_id_mapping.json'), 'utf8')) as {
      mappings: Record<string, Record<string, string>>;
    };
    expect(mapping.mappings).toEqual({
      'TASK-001-001': { azure_devops: '1', jira: 'PROJ-1', linear: 'TEAM-1' },
      'TASK-001-002': { github: '234', jira: 'PROJ-2' },
      'TASK-001-003': { jira: 'PROJ-10' },
      'TASK-001-004': { github: '235' },
      'TASK-001-005': { jira: 'PROJ-11' },
    });
    const counters = JSON.parse(
      await readFile(join(state, 'external_id_counters.json'), 'utf8'),
    ) as { counters: unknown };
    expect(counters.counters).toEqual({
      azure_devops: 1,
      github: 235,
      jira: { PROJ: 11 },
      linear: { TEAM: 1 },
    });

    // get: all of a task's ids, or one tool's
    const got = expectOk(await v('ids', 'get', 'TASK-001-001')).stdout;
    expect(got.endsWith('\n')).toBe(true);
    expect(got.trimEnd().split('\n').sort()).toEqual([
      'azure_devops 1',
      'jira         PROJ-1',
      'linear       TEAM-1',
    ]);
    expect(okJson(await v('ids', 'get', 'TASK-001-002', '--json'))).toEqual({
      internalId: 'TASK-001-002',
      ids: { github: '234', jira: 'PROJ-2' },
    });
    expect(expectOk(await v('ids', 'get', 'TASK-001-002', 'github')).stdout).toBe('234\n');
    expect(okJson(await v('ids', 'get', 'TASK-001-001', 'linear', '--json'))).toEqual({
      internalId: 'TASK-001-001',
      tool: 'linear',
      externalId: 'TEAM-1',
    });

    // reverse
    expect(expectOk(await v('ids', 'reverse', 'jira', 'PROJ-2')).stdout).toBe('TASK-001-002\n');
    expect(okJson(await v('ids', 'reverse', 'github', '235', '--json'))).toEqual({
      tool: 'github',
      externalId: '235',
      internalId: 'TASK-001-004',
    });

    // list
    const listed = expectOk(await v('ids', 'list'));
    const [firstRow = ''] = listed.stdout.split('\n');
    expect(firstRow).toMatch(/^TASK-001-001 +\S/);
    expect(firstRow.split(/\s+/).slice(1).sort()).toEqual([
      'azure_devops=1',
      'jira=PROJ-1',
      'linear=TEAM-1',
    ]);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(5);
    const all = okJson<{ items: Mapping[]; total: number }>(await v('ids', 'list', '--json'));
    expect(all.total).toBe(5);
    expect(all.items.map((m) => m.internalId)).toEqual([
      'TASK-001-001',
      'TASK-001-002',
      'TASK-001-003',
      'TASK-001-004',
      'TASK-001-005',
    ]);

    // unmap: one tool, then every id of a task; a removed id is never handed out again
    expect(expectOk(await v('ids', 'unmap', 'TASK-001-001', 'jira')).stdout).toBe(
      'unmapped TASK-001-001 (jira)\n',
    );
    expect(okJson(await v('ids', 'unmap', 'TASK-001-002', '--json'))).toEqual({
      internalId: 'TASK-001-002',
      tool: null,
      removed: true,
    });
    expect(okJson(await v('ids', 'get', 'TASK-001-001', '--json'))).toEqual({
      internalId: 'TASK-001-001',
      ids: { azure_devops: '1', linear: 'TEAM-1' },
    });
    expect(okJson(await v('ids', 'map', 'TASK-001-006', 'github', '--json'))).toMatchObject({
      externalId: '236',
    });
    expect(okJson<{ total: number }>(await v('ids', 'list', '--json')).total).toBe(5);
  });

  it('errors: conflict exits 4, not found 3, validation 2, unreadable state 5', async () => {
    const { root, v } = await seeded('ids-errors', storyTasks(9));
    const state = join(root, '.claude', 'state');
    okJson(await v('ids', 'map', 'TASK-001-001', 'jira', '--project', 'PROJ', '--json'));
    okJson(await v('ids', 'record', 'TASK-001-002', 'github', '234', '--json'));

    // conflict: an external id another task already holds, or a second id without replace
    const before = await snapshot(root);
    const taken = expectJsonError(
      await v('ids', 'record', 'TASK-001-002', 'jira', 'PROJ-1', '--json'),
      4,
      'VELLUM_MAPPING_CONFLICT',
    );
    expect(taken.error.message).toContain('TASK-001-001');
    expect(
      expectHumanError(
        await v('ids', 'record', 'TASK-001-002', 'jira', 'PROJ-1'),
        4,
        'VELLUM_MAPPING_CONFLICT',
      ).stderr,
    ).toContain('already mapped to TASK-001-001');
    expectHumanError(
      await v('ids', 'record', 'TASK-001-002', 'github', '999'),
      4,
      'VELLUM_MAPPING_CONFLICT',
    );
    expectSameStore(before, await snapshot(root), 'a refused ids record');

    // not found
    expectJsonError(await v('ids', 'get', 'TASK-404-404', '--json'), 3, 'VELLUM_NOT_FOUND');
    expectHumanError(await v('ids', 'get', 'TASK-001-001', 'github'), 3, 'VELLUM_NOT_FOUND');
    expectJsonError(await v('ids', 'reverse', 'jira', 'PROJ-99', '--json'), 3, 'VELLUM_NOT_FOUND');
    expectJsonError(await v('ids', 'unmap', 'TASK-404-404', '--json'), 3, 'VELLUM_NOT_FOUND');
    // no id for a task the store does not have
    const unknown = expectJsonError(
      await v('ids', 'map', 'TASK-404-404', 'jira', '--json'),
      3,
      'VELLUM_NOT_FOUND',
    );
    expect(unknown.error.message).toContain('no task TASK-404-404');
    expect(
      expectHumanError(await v('ids', 'map', 'TASK-001-404', 'github'), 3, 'VELLUM_NOT_FOUND')
        .stderr,
    ).toContain('TASK-001-404');

    // validation
    expect(
      expectJsonError(
        await v('ids', 'map', 'TASK-001-001', 'gitlab', '--json'),
        2,
        'VELLUM_VALIDATION',
      ).error.message,
    ).toContain('jira, azure_devops, linear, github');
    expectHumanError(
      await v('ids', 'map', 'TASK-001-003', 'github', '--project', 'PROJ'),
      2,
      'VELLUM_VALIDATION',
    );
    expectJsonError(
      await v('ids', 'record', 'TASK-001-003', 'github', 'abc', '--json'),
      2,
      'VELLUM_VALIDATION',
    );
    expect(
      expectHumanError(await v('ids', 'map', '../../etc/passwd', 'jira'), 2, 'VELLUM_VALIDATION')
        .stderr,
    ).toContain('path separator');
    expectSameStore(before, await snapshot(root), 'refused ids commands');

    // a corrupt mapping file is restored from its .bak, with a warning (not in --json)
    await writeFile(join(state, 'external_id_mapping.json'), '{"version": "1.0", "mapp');
    const recovered = await v('ids', 'list', '--json');
    expect(okJson<{ total: number }>(recovered).total).toBe(1);
    expect((await readdir(state)).filter((n) => n.includes('.corrupt-'))).toHaveLength(1);

    // both the file and its .bak unreadable: exit 5, nothing written
    await writeFile(join(state, 'external_id_mapping.json'), '{bad');
    await writeFile(join(state, 'external_id_mapping.json.bak'), '{bad');
    const broken = await snapshot(root);
    const mappingFile = join(state, 'external_id_mapping.json');
    const unreadable = expectJsonError(
      await v('ids', 'map', 'TASK-001-009', 'jira', '--json'),
      5,
      'VELLUM_STATE_UNREADABLE',
    );
    expect(unreadable.error.message).toContain(mappingFile);
    // details say which files, and where the parse failed
    const listed = expectJsonError(await v('ids', 'list', '--json'), 5, 'VELLUM_STATE_UNREADABLE');
    for (const body of [unreadable, listed]) {
      expect(body.error.details).toMatchObject({
        path: mappingFile,
        backupPath: `${mappingFile}.bak`,
        cause: { path: expect.stringContaining(mappingFile) as unknown, line: 1 },
      });
    }
    const human = expectHumanError(await v('ids', 'list'), 5, 'VELLUM_STATE_UNREADABLE');
    expect(human.stderr).toContain('external_id_mapping.json');
    // the ways out it names are CLI commands, not library calls
    expect(human.stderr).not.toMatch(/\w\(\)|mapper\./);
    const named = [...human.stderr.matchAll(/`vellum ([a-z ]+?)`/g)].map((m) => m[1] ?? '');
    expect(named).toContain('ids reset mappings');
    expectSameStore(broken, await snapshot(root), 'an unreadable mapping file');

    // `ids reset mappings`: the unreadable files are kept aside, the counters kept (no id reissued)
    const reset = okJson<{ target: string; keptAt: string[] }>(
      await v('ids', 'reset', 'mappings', '--json'),
    );
    expect(reset.target).toBe('mappings');
    expect(reset.keptAt.map((path) => path.replace(/\.reset-.*$/, '')).sort()).toEqual([
      join(state, 'external_id_mapping.json'),
      join(state, 'external_id_mapping.json.bak'),
    ]);
    for (const path of reset.keptAt) expect(await readFile(path, 'utf8')).toBe('{bad');
    expect(okJson(await v('ids', 'map', 'TASK-001-009', 'jira', '--json'))).toMatchObject({
      externalId: 'PROJ-2',
    });
  });
});
