import { useTempDirs } from '@vellum/test-utils';

/** A fresh directory per test, removed after it. */
export const { freshDir } = useTempDirs('vellum-index-test-');
