import { emptySnapshot, type Snapshot } from '../../services/watch.js';
import type { SnapshotSource } from './types.js';

/** A snapshot holder the watcher writes and React reads (useSyncExternalStore). */
export function createSnapshotStore(initial: Snapshot = emptySnapshot): SnapshotSource & {
  set: (snapshot: Snapshot) => void;
} {
  let current = initial;
  const listeners = new Set<() => void>();
  return {
    current: () => current,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(snapshot) {
      current = snapshot;
      for (const listener of listeners) listener();
    },
  };
}
