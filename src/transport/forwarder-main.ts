/**
 * Entry point of the forwarder service: `node forwarder-main.js`, one per DEVC_HOME, started detached
 * by src/services/forwarder.ts with stdout and stderr going to DEVC_HOME/forwarder/forwarder.log.
 * It forwards every workspace that has a route.json (service.ts). Not a devc command.
 */
import { mkdir } from 'node:fs/promises';
import { resolvePaths } from '../paths.js';
import { serviceFiles } from '../ports/files.js';
import { fileLogger } from './log-file.js';
import { claimPidFile, releasePidFile } from './pidfile.js';
import { ForwarderService } from './service.js';

async function runService(): Promise<number> {
  const paths = resolvePaths(process.env);
  const files = serviceFiles(paths);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const { log } = fileLogger(files.log);
  if (!(await claimPidFile(files.pid))) {
    log('the forwarder service runs already');
    return 0;
  }
  const service = new ForwarderService(paths, process.env, log);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => service.stop());
  // A closing terminal must not end it (it runs in its own session anyway).
  process.on('SIGHUP', () => undefined);
  log('forwarder service started');
  try {
    await service.run();
  } finally {
    await releasePidFile(files.pid);
    log('forwarder service stopped');
  }
  return 0;
}

process.exitCode = await runService();
// Connections still open must not keep a stopped service alive.
process.exit();
