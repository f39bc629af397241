export { JOURNAL_ERROR_CODES, type JournalErrorCode } from './codes.js';
export { JournalClosedError, JournalCorruptError, JournalError } from './errors.js';
export {
  Journal,
  type JournalOptions,
  type JournalReport,
  type SegmentReport,
  type JournalTailRepair,
} from './journal.js';
export { SEAL_OP, encodeRecord, verifyLine, type JournalOp, type JournalRecord } from './record.js';
export type { PendingTail, Position, Transaction } from './read-segment.js';
export {
  dayOf,
  listSegments,
  parseSegmentName,
  segmentName,
  type SegmentName,
} from './segments.js';
