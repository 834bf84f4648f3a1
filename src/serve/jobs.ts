import { DevcError } from '../errors.js';
import type { Progress } from '../ui/progress.js';

/** One line of a job's log, as the waiting page and `GET /logs` stream it. */
export interface JobLine {
  at: string;
  text: string;
}

/**
 * The gateway's work in progress on one workspace (made or woken): its log lines so far, whether it
 * ended and how. Only a cache of what is running in this process: the engine says what a workspace
 * is, and a restarted gateway starts with no jobs.
 */
export class Job {
  readonly lines: JobLine[] = [];
  private readonly listeners = new Set<(line: JobLine | null) => void>();
  ended = false;
  error: string | undefined;
  readonly done: Promise<void>;

  /** The user it works for: only they see its log. */
  constructor(
    readonly owner: string,
    work: (progress: Progress) => Promise<void>,
  ) {
    this.done = work(this.progress())
      .catch((error: unknown) => {
        this.error = error instanceof Error ? error.message : String(error);
        this.add(`✗ ${this.error}`);
      })
      .finally(() => {
        this.ended = true;
        for (const listener of this.listeners) listener(null);
        this.listeners.clear();
      });
  }

  /** Calls `listener` with every line from now on, then with null when the job ends. */
  follow(listener: (line: JobLine | null) => void): () => void {
    if (this.ended) {
      listener(null);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(text: string): void {
    const line = { at: new Date().toISOString(), text };
    this.lines.push(line);
    if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
    for (const listener of this.listeners) listener(line);
  }

  private progress(): Progress {
    return {
      phase: async (label, done, work) => {
        const started = Date.now();
        this.add(`• ${label}…`);
        try {
          const result = await work((detail) => this.add(`  ${detail}`));
          this.add(`✓ ${done} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
          return result;
        } catch (error) {
          this.add(`✗ ${label}: failed`);
          throw error;
        }
      },
      note: (text) => this.add(text),
    };
  }
}

/** At most one job per workspace name; a finished one is kept until the next starts (for its log). */
export class Jobs {
  private readonly byName = new Map<string, Job>();

  get(name: string): Job | undefined {
    return this.byName.get(name);
  }

  /**
   * The running job of `name`, or a new one doing `work` for `owner`. Two users whose names make the
   * same workspace name at the same moment: the second is told to try again (the first one's workspace
   * then exists, and the second gets another name).
   */
  run(name: string, owner: string, work: (progress: Progress) => Promise<void>): Job {
    const current = this.byName.get(name);
    if (current && !current.ended) {
      if (current.owner !== owner)
        throw new DevcError(`Workspace ${name} is being made for someone else; try again in a moment.`);
      return current;
    }
    const job = new Job(owner, work);
    this.byName.set(name, job);
    return job;
  }

  running(): number {
    let n = 0;
    for (const job of this.byName.values()) if (!job.ended) n++;
    return n;
  }
}
