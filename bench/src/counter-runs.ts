import { runTogether } from './children.js';
import { median, type Contender } from './measure.js';
import { taskArgv } from './workers/protocol.js';
import type { Check } from './workload.js';
import type { CounterStore } from './counters.js';

interface Outcome {
  readonly contendedMs: number[];
  /** The lowest count any round kept: one lost update in any round must show. */
  kept: number;
}

/**
 * Rounds of `workers` processes each incrementing one counter `perWorker`
 * times, per contender: the wall time is the sample; what the counter kept and
 * the time after start-up are kept for the notes.
 */
export class CounterRuns {
  readonly #workers: number;
  readonly #perWorker: number;
  readonly #outcomes = new Map<string, Outcome>();

  constructor(workers: number, perWorker: number) {
    this.#workers = workers;
    this.#perWorker = perWorker;
  }

  get expected(): number {
    return this.#workers * this.#perWorker;
  }

  /** `script` names a worker in `workers/`, given the store's location and its share. */
  contender(name: string, store: CounterStore, script: string): Contender {
    const outcome: Outcome = { contendedMs: [], kept: this.expected };
    this.#outcomes.set(name, outcome);
    return {
      name,
      sample: async (at) => {
        const location = await store.create(at);
        const times = await runTogether(
          new URL(`./workers/${script}.ts`, import.meta.url),
          Array.from({ length: this.#workers }, () =>
            taskArgv({ file: location, increments: this.#perWorker }),
          ),
        );
        outcome.contendedMs.push(times.contendedMs);
        outcome.kept = Math.min(outcome.kept, await store.read(location));
        return times.wallMs;
      },
    };
  }

  /**
   * Whether `name` lost an update, and its time after start-up with the ratio
   * against `baseline`'s. Start-up (node and the imports) weighs on
   * every wall time alike and flattens the ratios; the contended part alone
   * shows what the locking costs.
   */
  details(name: string, baseline: string): { check: Check; note: string } {
    const { contendedMs, kept } = this.#outcomes.get(name) ?? { contendedMs: [], kept: 0 };
    const contended = median(contendedMs);
    const base = median(this.#outcomes.get(baseline)?.contendedMs ?? []);
    const ratio = name === baseline ? '' : `, ${(contended / base).toFixed(2)}x`;
    return {
      check: { text: `kept ${kept}/${this.expected}`, ok: kept === this.expected },
      note: `after start-up ${Math.round(contended).toLocaleString('en-US')} ms${ratio}`,
    };
  }
}
