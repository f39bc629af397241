/**
 * The conformance suite of `@vellum/collection` layouts, for vitest: every
 * layout shipped here runs it, and so can a third-party one.
 *
 * ```ts
 * import { testLayout } from '@vellum/collection/test-suite';
 * testLayout({ name: 'my layout', layout: () => myLayout<SuiteDoc>({ ... }) });
 * ```
 */
import { Collection } from '../collection.js';
import type { Layout } from '../layout.js';
import {
  describeCollectionRecovery,
  type OpenCollection,
  type SuiteSupports,
} from './collection-suite.js';
import { describeLayoutFiles } from './layout-suite.js';
import type { SuiteDoc } from './support.js';

export interface LayoutSuite {
  /** Names the implementation in the test titles. */
  name: string;
  /** A new layout storing `SuiteDoc`s; called once or more per test. */
  layout: () => Layout<SuiteDoc>;
  /**
   * What it supports beyond the layout's own `capabilities` (which the suite
   * also reads): a test that needs a missing capability is skipped, and says so.
   */
  supports?: Partial<SuiteSupports> | undefined;
  /** Opens a collection over the layout. Default `Collection.open`. */
  open?: OpenCollection | undefined;
}

/** Declares the whole suite: the layout's files on their own, then recovery and hand edits. */
export function testLayout(suite: LayoutSuite): void {
  const supports: SuiteSupports = { handEdits: true, damagedFiles: true, ...suite.supports };
  describeLayoutFiles(suite.name, suite.layout);
  describeCollectionRecovery(
    suite.name,
    suite.layout,
    supports,
    suite.open ?? ((options) => Collection.open(options)),
  );
}

export { describeLayoutFiles, describeCollectionRecovery };
export type { OpenCollection, SuiteSupports };
export { suiteDocs, suiteSchema, type SuiteDoc } from './support.js';
