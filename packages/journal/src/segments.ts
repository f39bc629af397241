import { readdirOrEmpty } from '@vellum/atomic-io';

/** A segment file: `YYYYMMDD.wal` for a day's first, `YYYYMMDD.N.wal` after a size rotation. */
export interface SegmentName {
  name: string;
  day: string;
  part: number;
}

const SEGMENT = /^(\d{8})(?:\.(\d+))?\.wal$/;

export function parseSegmentName(name: string): SegmentName | undefined {
  const match = SEGMENT.exec(name);
  if (match === null) return undefined;
  return { name, day: match[1] ?? '', part: Number(match[2] ?? 0) };
}

export function segmentName(day: string, part: number): string {
  return part === 0 ? `${day}.wal` : `${day}.${part}.wal`;
}

/** UTC day of `date` as `YYYYMMDD`. */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

export function compareSegments(a: SegmentName, b: SegmentName): number {
  return a.day === b.day ? a.part - b.part : a.day < b.day ? -1 : 1;
}

/** The segments in `dir`, oldest first. Other files are ignored. */
export async function listSegments(dir: string): Promise<SegmentName[]> {
  return (await readdirOrEmpty(dir))
    .flatMap((name) => parseSegmentName(name) ?? [])
    .sort(compareSegments);
}

/** The segment that follows `current` on `day`. */
export function nextSegment(current: SegmentName | undefined, day: string): string {
  if (current === undefined || current.day !== day) return segmentName(day, 0);
  return segmentName(day, current.part + 1);
}
