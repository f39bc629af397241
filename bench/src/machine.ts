import { availableParallelism, cpus, loadavg } from 'node:os';

export interface Machine {
  readonly node: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  /** Other work on the machine skews fsync-bound figures; this says how much there was. */
  readonly loadAverage1m: number;
}

export function describeMachine(): Machine {
  const [load = 0] = loadavg();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    loadAverage1m: Math.round(load * 100) / 100,
  };
}
