export { TempDirs, removeTree, useTempDirs, withTempDir, type TestDirs } from './temp-dirs.js';
export {
  Child,
  killLeftoverChildren,
  spawnChild,
  spawnNode,
  useChildren,
  type ChildOptions,
  type ExitInfo,
} from './child.js';
export { runNode, runProcess, type RunOptions, type RunResult } from './run.js';
export { assertBuilt, deadPid } from './processes.js';
export { fakeClock, mapLimit } from './async.js';
