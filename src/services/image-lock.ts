import os from 'node:os';
import path from 'node:path';
import type { Progress } from '../ui/progress.js';
import { withLock } from '../workspace/lock.js';

/**
 * `work` while holding this machine's lock on the image `ref` (for every DEVC_HOME of this user: the
 * engine is shared). A wait is said once; builds take minutes, so it waits up to 40.
 */
export function withImageLock<T>(ref: string, progress: Progress, work: () => Promise<T>): Promise<T> {
  const locks = path.join(os.tmpdir(), `devc-${process.getuid?.() ?? 'user'}-image-locks`);
  return withLock(locks, `image-${ref}`, work, 40 * 60_000, () =>
    progress.note(`Waiting for another devc that is making ${ref}…`),
  );
}
