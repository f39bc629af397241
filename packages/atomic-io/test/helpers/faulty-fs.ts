import { nodeFs, type FileHandleLike, type FsLayer } from '../../src/index.js';

export type FaultPoint =
  'open' | 'write' | 'sync' | 'datasync' | 'close' | 'rename' | 'link' | 'copyFile' | 'truncate';

export interface Fault {
  at: FaultPoint;
  /** errno to fail with; 'short' makes a write return fewer bytes than asked. */
  errno: string;
  /** Which matching call fails (1-based). Default 1. */
  nth?: number;
  /** Only calls whose path includes this. */
  pathIncludes?: string;
}

/** Logs calls, fails none. */
export function recordingFs(): FsLayer & { calls: string[] } {
  return faultyFs();
}

/** An FsLayer over the real one that logs every call and fails the chosen ones. */
export function faultyFs(...faults: Fault[]): FsLayer & { calls: string[] } {
  const calls: string[] = [];
  const seen = new Map<FaultPoint, number>();
  let tripped: Fault | undefined;
  const trip = (point: FaultPoint, path: string): boolean => {
    calls.push(`${point} ${path}`);
    const count = (seen.get(point) ?? 0) + 1;
    seen.set(point, count);
    tripped = faults.find(
      (fault) =>
        fault.at === point &&
        (fault.pathIncludes === undefined || path.includes(fault.pathIncludes)) &&
        count === (fault.nth ?? 1),
    );
    return tripped !== undefined;
  };
  const fail = (point: FaultPoint): never => {
    throw Object.assign(new Error(`injected ${tripped?.errno} at ${point}`), {
      code: tripped?.errno,
    });
  };
  const isShort = (): boolean => tripped?.errno === 'short';
  const wrap = (handle: FileHandleLike, path: string): FileHandleLike => ({
    write: async (buffer, offset, length, position) => {
      if (trip('write', path)) {
        if (isShort()) {
          return handle.write(buffer, offset, Math.max(1, Math.floor(length / 2)), position);
        }
        fail('write');
      }
      return handle.write(buffer, offset, length, position);
    },
    sync: async () => (trip('sync', path) ? fail('sync') : handle.sync()),
    datasync: async () => (trip('datasync', path) ? fail('datasync') : handle.datasync()),
    truncate: async (length) =>
      trip('truncate', path) ? fail('truncate') : handle.truncate(length),
    stat: () => handle.stat(),
    close: async () => {
      if (trip('close', path)) {
        await handle.close();
        fail('close');
      }
      return handle.close();
    },
  });
  return {
    calls,
    open: async (path, flags, mode) => {
      if (trip('open', path)) fail('open');
      return wrap(await nodeFs.open(path, flags, mode), path);
    },
    rename: async (from, to) => (trip('rename', to) ? fail('rename') : nodeFs.rename(from, to)),
    unlink: (path) => nodeFs.unlink(path),
    link: async (from, to) => (trip('link', to) ? fail('link') : nodeFs.link(from, to)),
    copyFile: async (from, to) =>
      trip('copyFile', to) ? fail('copyFile') : nodeFs.copyFile(from, to),
  };
}
