// What a cold-open worker tells the parent once it can answer its first
// query: the answer, to check that every contender found the same, and what
// the answer cost the worker.

/** The first query: the first page of records with this status, by id. */
export const QUERY_STATUS = 'pending';
export const PAGE = 100;

interface Found {
  /** Records with the status in all. */
  readonly total: number;
  /** Records on the first page. */
  readonly items: number;
  /** Records held in memory, parsed. */
  readonly loaded: number;
}

export interface OpenAnswer extends Found {
  /** From the process's start to the worker's first statement: node and the imports. */
  readonly startupMs: number;
  /** From the worker's first statement to the answer: opening, loading, querying. */
  readonly workMs: number;
  /** Peak resident set size so far, in KiB. */
  readonly maxRssKb: number;
}

/**
 * Sends the answer and lets the worker exit once it has closed its store.
 * @param started `performance.now()` at the worker's first statement.
 */
export function answer(started: number, found: Found): void {
  const message: OpenAnswer = {
    ...found,
    // A child's clock starts with its process.
    startupMs: started,
    workMs: performance.now() - started,
    maxRssKb: process.resourceUsage().maxRSS,
  };
  // Run by hand (to profile it, say), a worker has no parent to answer.
  if (process.send === undefined) {
    console.log(message);
    return;
  }
  process.send(message);
  process.disconnect();
}

/** The worker's one argument: the store to open. */
export function storeFromArgv(argv: readonly string[] = process.argv.slice(2)): string {
  const [store] = argv;
  if (store === undefined) throw new Error('usage: <worker> <store file or root>');
  return store;
}
