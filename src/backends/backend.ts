import type { BackendKind, Workspace, WorkspaceSpec } from '../workspace/model.js';

export interface ExecOptions {
  user?: string;
  /** Attach the caller's terminal (interactive). */
  tty?: boolean;
  /** Pass stdin through. */
  stdin?: boolean;
  workdir?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One interface for every engine (DESIGN.md): commands never branch on the backend. */
export interface Backend {
  readonly kind: BackendKind;
  /** Throws EngineError with a next step when the engine can't be reached. */
  check(): Promise<void>;
  /** The workspace of that name, or null. */
  find(name: string): Promise<Workspace | null>;
  list(): Promise<Workspace[]>;
  create(spec: WorkspaceSpec): Promise<Workspace>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  /** Removes the workspace and everything it owns in the engine. */
  remove(name: string): Promise<void>;
  /** Runs a command with the caller's stdio; resolves to its exit code. */
  execInteractive(name: string, command: string[], options?: ExecOptions): Promise<number>;
  /** Runs a command and captures its output. */
  exec(name: string, command: string[], options?: ExecOptions): Promise<ExecResult>;
  /** A host:port on 127.0.0.1 that reaches `port` inside the workspace. */
  endpoint(name: string, port: number): Promise<{ host: string; port: number }>;
}
