import { closeSync, openSync, renameSync, statSync, writeSync } from 'node:fs';

/** Keeps one older log beside the current one once it passes 1 MB. */
export function rotateLog(file: string): void {
  try {
    if (statSync(file).size > 1_000_000) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
}

/** Lines to a log file; `close` lets go of it. */
export interface FileLogger {
  log: (line: string) => void;
  close: () => void;
}

/**
 * A logger that appends timestamped lines to `file` (0600), rotated first. Lines are few (a port bound,
 * a workspace stopped), so each is one synchronous write. The file is opened once: lines written after
 * its folder is removed (the workspace was deleted) go nowhere, and nothing is made in that folder
 * again, which would break its removal. No folder to open it in: lines are dropped.
 */
export function fileLogger(file: string): FileLogger {
  rotateLog(file);
  let fd: number | null = null;
  try {
    fd = openSync(file, 'a', 0o600);
  } catch {
    // nowhere to write
  }
  return {
    log: (line) => {
      if (fd === null) return;
      try {
        writeSync(fd, `${new Date().toISOString()} [${process.pid}] ${line}\n`);
      } catch {
        // a full disk loses the line, not the forwarder
      }
    },
    close: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
