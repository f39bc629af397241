import { median } from './measure.js';

export interface Target {
  /** As printed, e.g. `>= 0.85x raw`. */
  readonly text: string;
  readonly met: boolean;
}

/** A correctness check on what a contender left on disk. */
export interface Check {
  readonly text: string;
  readonly ok: boolean;
}

export interface Row {
  readonly contender: string;
  /** Median of `samples`. */
  readonly value: number;
  readonly samples: readonly number[];
  /** `value` divided by the baseline row's value; null for the baseline itself. */
  readonly ratio: number | null;
  readonly target: Target | null;
  readonly check: Check | null;
  /** A second figure worth printing next to the first. */
  readonly note: string | null;
}

export interface WorkloadReport {
  readonly workload: string;
  readonly metric: 'ops/s' | 'wall ms';
  /** The row that ratios are taken against. */
  readonly baseline: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly rows: readonly Row[];
}

export interface RunOptions {
  readonly quick: boolean;
  /** A directory of this run's scratch space; the workload owns it. */
  readonly dir: string;
  /** `--set name=value` overrides of the workloads' sizes (`rounds`, `records`...). */
  readonly sizes: Readonly<Record<string, number>>;
}

/** A workload's size `name`: its `--set` override, else the `--quick` or the full default. */
export function sizeOf(options: RunOptions, name: string, full: number, quick: number): number {
  return options.sizes[name] ?? (options.quick ? quick : full);
}

export interface Workload {
  readonly name: string;
  run(options: RunOptions): Promise<WorkloadReport>;
}

export function atLeast(ratio: number, minimum: number, against: string): Target {
  return { text: `>= ${minimum}x ${against}`, met: ratio >= minimum };
}

export function atMost(ratio: number, maximum: number, against: string): Target {
  return { text: `<= ${maximum}x ${against}`, met: ratio <= maximum };
}

/** An absolute limit rather than a ratio, e.g. `< 500 ms`. */
export function below(value: number, limit: number, unit: string): Target {
  return { text: `< ${limit} ${unit}`, met: value < limit };
}

/** Several targets on one row: met when every one is; the text marks those missed. */
export function allOf(targets: readonly Target[]): Target {
  return {
    text: targets.map(({ text, met }) => (met ? text : `${text} **missed**`)).join('; '),
    met: targets.every(({ met }) => met),
  };
}

export interface RowSpec {
  readonly target?: (ratio: number) => Target;
  readonly check?: Check;
  readonly note?: string;
}

/** One row per contender, in measurement order, with ratios against `baseline`. */
export function rowsFrom(
  samples: ReadonlyMap<string, readonly number[]>,
  baseline: string,
  specs: Readonly<Record<string, RowSpec>> = {},
): Row[] {
  const base = median(samples.get(baseline) ?? []);
  return [...samples].map(([contender, values]) => {
    const value = median(values);
    const ratio = contender === baseline ? null : value / base;
    const spec = specs[contender];
    return {
      contender,
      value,
      samples: values,
      ratio,
      target: ratio === null || spec?.target === undefined ? null : spec.target(ratio),
      check: spec?.check ?? null,
      note: spec?.note ?? null,
    };
  });
}
