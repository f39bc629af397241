import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError, type Collection, type Page } from '@vellum/collection';
import { SessionCounters, type Session, type SessionCounter } from './schemas.js';

/** Event types that also count in the session's metrics. */
export const COUNTED_EVENTS: Readonly<Record<string, SessionCounter>> = {
  task_created: 'tasks_created',
  task_completed: 'tasks_completed',
  validation_run: 'validations_run',
  handoff: 'handoffs',
};

/** Spec 000's sessions: events and metrics counters. */
export class Sessions {
  /** The sessions collection, opened on first use (the same one on every call). */
  readonly collection: () => Promise<Collection<Session>>;
  readonly #now: () => Date;

  constructor(collection: () => Promise<Collection<Session>>, now: () => Date) {
    this.collection = collection;
    this.#now = now;
  }

  async start(
    input: { active_persona?: string; session_context?: Session['session_context'] } = {},
  ): Promise<Session> {
    const session: Session = {
      session_id: randomUUID(),
      start_time: this.#now().toISOString(),
      end_time: null,
      ...(input.active_persona === undefined ? {} : { active_persona: input.active_persona }),
      session_context: input.session_context ?? {},
      events: [],
      metrics: { tasks_created: 0, tasks_completed: 0, validations_run: 0, handoffs: 0 },
    };
    const collection = await this.collection();
    await collection.put(session, { expectedRevision: 0 });
    return session;
  }

  async get(id: string): Promise<Session | undefined> {
    return (await this.collection()).get(id);
  }

  async list(
    filter: { active?: boolean; limit?: number; cursor?: string } = {},
  ): Promise<Page<Session>> {
    const where = filter.active === undefined ? {} : { active: filter.active };
    return (await this.collection()).query({ where, limit: filter.limit, cursor: filter.cursor });
  }

  /**
   * Records an event; `task_created`, `task_completed`, `validation_run` and
   * `handoff` also count in the metrics.
   * @throws {NotFoundError} | {ValidationError} an ended session or an empty event type.
   */
  async recordEvent(
    sessionId: string,
    eventType: string,
    eventData?: Record<string, unknown>,
  ): Promise<Session> {
    if (eventType.trim() === '')
      throw new ValidationError('session event', [{ path: ['event_type'], message: 'required' }]);
    return this.#change(sessionId, (session) => {
      const counter = COUNTED_EVENTS[eventType];
      return {
        ...session,
        events: [
          ...session.events,
          {
            timestamp: this.#now().toISOString(),
            event_type: eventType,
            ...(eventData === undefined ? {} : { event_data: eventData }),
          },
        ],
        metrics:
          counter === undefined
            ? session.metrics
            : { ...session.metrics, [counter]: session.metrics[counter] + 1 },
      };
    });
  }

  /** Adds to one of the spec's counters without an event. */
  async increment(sessionId: string, counter: SessionCounter, by = 1): Promise<Session> {
    if (!SessionCounters.includes(counter) || !Number.isInteger(by) || by < 0) {
      throw new ValidationError('session counter', [
        { path: ['counter'], message: `${counter} by ${by} is not a counter increment` },
      ]);
    }
    return this.#change(sessionId, (session) => ({
      ...session,
      metrics: { ...session.metrics, [counter]: session.metrics[counter] + by },
    }));
  }

  /** Ends the session; its file moves to `ended/YYYY-MM/`. */
  end(sessionId: string): Promise<Session> {
    return this.#change(sessionId, (session) => ({
      ...session,
      end_time: this.#now().toISOString(),
    }));
  }

  async #change(sessionId: string, change: (session: Session) => Session): Promise<Session> {
    let next: Session | undefined;
    const collection = await this.collection();
    await collection.transact((view) => {
      const session = view.get(sessionId);
      if (session === undefined) throw new NotFoundError('sessions', sessionId);
      if (session.end_time !== null && session.end_time !== undefined) {
        throw new ValidationError(`session ${sessionId}`, [
          { path: ['end_time'], message: 'the session has ended' },
        ]);
      }
      next = change(session);
      return [{ type: 'put', doc: next }];
    });
    return next as Session;
  }
}
