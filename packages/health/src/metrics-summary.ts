import { join } from 'node:path';
import { readRecords } from '@vellum/atomic-io';

/** One line of a metrics file, as spec 000 shows it. */
export interface MetricLine {
  timestamp: string;
  operation: string;
  duration_ms: number;
  /** `success` (what spec 000 writes; a collection's `ok` is written so), `error`, or the caller's own. */
  status: string;
  result_count?: number;
}

export interface OperationStats {
  count: number;
  /** Operations whose status was not `success`. */
  errors: number;
  totalMs: number;
  maxMs: number;
}

/** Per operation name. */
export type MetricsSummary = Record<string, OperationStats>;

/** Adds one metric to `summary` (in place). */
export function addToSummary(summary: MetricsSummary, line: MetricLine): void {
  const stats = (summary[line.operation] ??= { count: 0, errors: 0, totalMs: 0, maxMs: 0 });
  stats.count++;
  if (line.status !== 'success') stats.errors++;
  stats.totalMs += line.duration_ms;
  if (line.duration_ms > stats.maxMs) stats.maxMs = line.duration_ms;
}

/** `YYYY-MM-DD.jsonl`: the UTC day's metrics file in `dir`. */
export function metricsFile(dir: string, day: string): string {
  return join(dir, `${day}.jsonl`);
}

/** `YYYY-MM-DD` of a date, in UTC. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function isMetricLine(value: unknown): value is MetricLine {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line.operation === 'string' &&
    typeof line.duration_ms === 'number' &&
    typeof line.status === 'string'
  );
}

export interface ReadMetricsSummaryOptions {
  /** UTC days to read, `YYYY-MM-DD`. Default: today. */
  days?: readonly string[] | undefined;
}

/**
 * Summarizes the metrics files of the given days in `dir`, e.g. for a
 * `health.json` written by another process than the one that recorded them.
 * A missing day has no metrics; a torn last line (a writer killed mid-append)
 * is ignored; lines that are not metrics are skipped.
 * @throws {CorruptFileError} a damaged line followed by good ones.
 */
export async function readMetricsSummary(
  dir: string,
  options: ReadMetricsSummaryOptions = {},
): Promise<MetricsSummary> {
  const summary: MetricsSummary = {};
  for (const day of options.days ?? [utcDay(new Date())]) {
    for await (const record of readRecords(metricsFile(dir, day), { onTornTail: () => {} })) {
      if (isMetricLine(record.value)) addToSummary(summary, record.value);
    }
  }
  return summary;
}
