import type { OperationMetric } from '@vellum/collection';
import { MetricsRecorder } from '@vellum/health';

/**
 * `true`: every operation's metric is written in the background as it comes.
 * `'on-close'`: they are held in memory and written by `close()`, or dropped by
 * `close({ discardMetrics: true })`: a one-shot command that fails then leaves
 * no trace in the store. `false`: none.
 */
export type MetricsMode = boolean | 'on-close';

/** Where a store's operation metrics go: spec 000's `metrics/YYYY-MM-DD.jsonl`. */
export interface MetricsSink {
  /** The collections' `onOperation`; `undefined` when metrics are off. */
  readonly record: ((metric: OperationMetric) => void) | undefined;
  /** Writes what is left; `discard` drops what `'on-close'` still holds instead. */
  close(discard: boolean): Promise<void>;
}

export function metricsSink(
  mode: MetricsMode,
  options: { dir: string; lockTimeout: number | undefined },
): MetricsSink {
  const recorderOptions = {
    dir: options.dir,
    ...(options.lockTimeout === undefined ? {} : { lockTimeout: options.lockTimeout }),
  };
  if (mode === false) return { record: undefined, close: async () => undefined };
  if (mode === true) {
    const recorder = new MetricsRecorder(recorderOptions);
    return { record: recorder.record, close: () => recorder.close() };
  }
  const held: OperationMetric[] = [];
  return {
    record: (metric) => held.push(metric),
    async close(discard) {
      if (discard || held.length === 0) return;
      // Created only now: a store that recorded nothing does not create the metrics folder.
      const recorder = new MetricsRecorder(recorderOptions);
      for (const metric of held.splice(0)) recorder.record(metric);
      await recorder.close();
    },
  };
}
