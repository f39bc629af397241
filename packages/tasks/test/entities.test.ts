import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HISTORY_IN_DOCUMENT, NotFoundError, ValidationError } from '../src/index.js';
import { fixtureCopy, freshDir, open } from './helpers.js';

let tick = Date.parse('2026-11-21T12:00:00Z');
const clock = { now: () => new Date((tick += 1000)) };

describe('integration points', () => {
  it('registers IP-### and moves the file between active/ and disabled/', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    const ip = await store.integrations.register({
      type: 'data_flow',
      source: { type: 'task', name: 'export' },
      target: { type: 'system', name: 'jira' },
    });
    expect(ip).toMatchObject({
      id: 'IP-004',
      configuration: { enabled: true, priority: 50 },
      metrics: { executions: 0 },
    });
    await store.integrations.disable('IP-001');
    await store.integrations.enable('IP-003');
    await store.flush();
    expect((await readdir(join(root, 'integrations/active'))).sort()).toEqual([
      'IP-003.json',
      'IP-004.json',
    ]);
    expect(await readdir(join(root, 'integrations/disabled'))).toEqual(['IP-001.json']);
    expect((await store.integrations.list({ type: 'reporting' })).items.map((i) => i.id)).toEqual([
      'IP-003',
    ]);
    expect(
      JSON.parse(await readFile(join(root, 'integrations/index/by-type.json'), 'utf8')),
    ).toMatchObject({ data_flow: ['IP-004'] });
  });

  it('records executions: counters, running average, last time, and the daily metrics file', async () => {
    const root = await fixtureCopy();
    const store = await open(root, { now: () => new Date('2025-01-12T08:00:00Z') });
    await store.integrations.recordExecution('IP-001', { duration_ms: 220, success: true });
    const after = await store.integrations.recordExecution('IP-001', {
      duration_ms: 40,
      success: false,
      error: 'timeout',
    });
    expect(after.metrics).toEqual({
      executions: 6,
      failures: 2,
      avg_duration_ms: (120 * 4 + 220 + 40) / 6,
      last_execution: '2025-01-12T08:00:00.000Z',
    });
    const lines = (await readFile(join(root, 'integrations/metrics/2025-01-12.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      {
        timestamp: '2025-01-12T08:00:00.000Z',
        integration_id: 'IP-001',
        duration_ms: 220,
        status: 'success',
      },
      {
        timestamp: '2025-01-12T08:00:00.000Z',
        integration_id: 'IP-001',
        duration_ms: 40,
        status: 'failure',
        error: 'timeout',
      },
    ]);
    await expect(
      store.integrations.recordExecution('IP-001', { duration_ms: -1, success: true }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.integrations.recordExecution('IP-404', { duration_ms: 1, success: true }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('entity states', () => {
  it('validates transitions, keeps current/<type>/<id>.json and the monthly history file', async () => {
    const root = await freshDir();
    const store = await open(root, { now: () => new Date('2026-11-21T12:00:00Z') });
    await store.states.transition('task', 'TASK-001-001', {
      to: { status: 'pending' },
      changed_by: 'sm',
      reason: 'created',
    });
    const started = await store.states.transition('task', 'TASK-001-001', {
      to: { status: 'in_progress', assigned_to: 'dev', progress_percentage: 10 },
      changed_by: 'dev',
      reason: 'picked up',
    });
    expect(started.current_state).toEqual({
      status: 'in_progress',
      assigned_to: 'dev',
      progress_percentage: 10,
    });
    expect(
      started.state_history.map((c) => [c.from_state?.status ?? null, c.to_state.status]),
    ).toEqual([
      [null, 'pending'],
      ['pending', 'in_progress'],
    ]);
    const illegal = (await store.states
      .transition('session', 'S-1', { to: { status: 'ended' }, changed_by: 'x', reason: 'y' })
      .then(() =>
        store.states.transition('session', 'S-1', {
          to: { status: 'active' },
          changed_by: 'x',
          reason: 'y',
        }),
      )
      .catch((e: unknown) => e)) as ValidationError;
    expect(illegal).toBeInstanceOf(ValidationError);
    expect(illegal.message).toContain('cannot go from ended to active');
    await expect(
      store.states.transition('task', 'TASK-001-001', {
        to: { status: 'flying' },
        changed_by: 'x',
        reason: 'y',
      }),
    ).rejects.toThrow(/unknown status/);
    await expect(
      store.states.transition('task', 'TASK-001-001', {
        to: { status: 'completed' },
        changed_by: '',
        reason: 'y',
      }),
    ).rejects.toThrow(/changed_by/);
    await store.states.checkpoint('task', 'TASK-001-001', { done: 1 });
    await store.flush();
    const file = JSON.parse(
      await readFile(join(root, 'states/current/task/TASK-001-001.json'), 'utf8'),
    ) as { checkpoints: unknown };
    expect(file.checkpoints).toEqual({
      last_checkpoint: '2026-11-21T12:00:00.000Z',
      checkpoint_data: { done: 1 },
    });
    const history = (
      await readFile(join(root, 'states/history/2026-11/state-changes.jsonl'), 'utf8')
    )
      .trim()
      .split('\n');
    expect(
      history.map(
        (l) =>
          (JSON.parse(l) as { entity_id: string; to_state: { status: string } }).to_state.status,
      ),
    ).toEqual(['pending', 'in_progress', 'ended']);
  });

  it('keeps the last changes in the document and all of them in the log', async () => {
    const store = await open(await freshDir(), clock);
    for (let i = 0; i < HISTORY_IN_DOCUMENT + 5; i++) {
      await store.states.transition('story', 'STORY-9', {
        to: { status: i % 2 === 0 ? 'in_progress' : 'blocked' },
        changed_by: 'sm',
        reason: `step ${i}`,
      });
    }
    expect((await store.states.get('story', 'STORY-9'))?.state_history).toHaveLength(
      HISTORY_IN_DOCUMENT,
    );
  });
});

describe('workflow executions', () => {
  it('runs steps through their statuses and files finished workflows by month', async () => {
    const root = await freshDir();
    const store = await open(root, { now: () => new Date('2026-11-21T12:00:00Z') });
    const wf = await store.workflows.start({
      workflow_type: 'story-delivery',
      initiated_by: 'persona',
      context: { story_id: 'STORY-001' },
      steps: [
        { step_id: 'plan', step_type: 'task' },
        { step_id: 'review', step_type: 'validation' },
      ],
    });
    await store.workflows.updateStep(wf.workflow_id, 'plan', { status: 'running' });
    const done = await store.workflows.updateStep(wf.workflow_id, 'plan', {
      status: 'completed',
      output: { tasks: 3 },
    });
    expect(done.steps[0]).toMatchObject({
      status: 'completed',
      output: { tasks: 3 },
      start_time: '2026-11-21T12:00:00.000Z',
    });
    await expect(
      store.workflows.updateStep(wf.workflow_id, 'review', { status: 'completed' }),
    ).rejects.toThrow(/cannot go from pending to completed/);
    await expect(
      store.workflows.updateStep(wf.workflow_id, 'nope', { status: 'running' }),
    ).rejects.toThrow(/no step nope/);
    await expect(
      store.workflows.updateStep(wf.workflow_id, 'nope', { status: 'running' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await store.workflows.updateStep(wf.workflow_id, 'review', { status: 'skipped' });
    await store.workflows.finish(wf.workflow_id, 'completed');
    await expect(store.workflows.finish(wf.workflow_id, 'failed')).rejects.toThrow(
      /already completed/,
    );
    await store.flush();
    expect(await readdir(join(root, 'workflows/finished/2026-11'))).toEqual([
      `${wf.workflow_id}.json`,
    ]);
    expect((await store.workflows.list({ status: 'completed' })).total).toBe(1);
  });
});

describe('sessions', () => {
  it('records events, counts the spec counters and files ended sessions by month', async () => {
    const root = await freshDir();
    const store = await open(root, { now: () => new Date('2026-11-21T12:00:00Z') });
    const session = await store.sessions.start({
      active_persona: 'dev',
      session_context: { working_directory: '/repo' },
    });
    await store.sessions.recordEvent(session.session_id, 'task_created', { id: 'TASK-001-001' });
    await store.sessions.recordEvent(session.session_id, 'task_completed');
    await store.sessions.recordEvent(session.session_id, 'note');
    const counted = await store.sessions.increment(session.session_id, 'handoffs', 2);
    expect(counted.metrics).toEqual({
      tasks_created: 1,
      tasks_completed: 1,
      validations_run: 0,
      handoffs: 2,
    });
    expect(counted.events.map((e) => e.event_type)).toEqual([
      'task_created',
      'task_completed',
      'note',
    ]);
    expect((await store.sessions.list({ active: true })).total).toBe(1);
    await store.sessions.end(session.session_id);
    await expect(store.sessions.recordEvent(session.session_id, 'late')).rejects.toThrow(/ended/);
    await store.flush();
    expect(await readdir(join(root, 'sessions/ended/2026-11'))).toEqual([
      `${session.session_id}.json`,
    ]);
  });
});
