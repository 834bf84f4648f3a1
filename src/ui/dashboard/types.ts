import type { Snapshot } from '../../services/watch.js';

/** Where the dashboard reads workspaces from; `subscribe` returns the unsubscribe function. */
export interface SnapshotSource {
  current: () => Snapshot;
  subscribe: (listener: () => void) => () => void;
}

/** A line under the table: the result of the last action, or why it failed. */
export interface Message {
  text: string;
  tone: 'info' | 'success' | 'error';
  /** Extra lines (the refusal's file list, a hint). */
  details?: string;
}

/** What survives the dashboard stepping aside (for SSH) and coming back. */
export interface UiState {
  filter: string;
  selected: string | undefined;
  message?: Message;
}

/** Why the dashboard's ink app ended. */
export type ExitRequest = { kind: 'quit' } | { kind: 'ssh'; name: string; ui: UiState };
