/**
 * Entry point of the background forwarder: `node forwarder-main.js NAME BACKEND`, started detached by
 * src/services/forwarder.ts with stdout and stderr going to its log file. Not a devc command.
 */
import { hasDial, hasRoutes } from '../backends/backend.js';
import { createBackend } from '../backends/factory.js';
import { systemIO } from '../io.js';
import { resolvePaths } from '../paths.js';
import { portFiles, readJson, type ForwarderState } from '../ports/files.js';
import type { BackendKind } from '../workspace/model.js';
import { Forwarder } from './forwarder.js';
import { claimPidFile, releasePidFile } from './pidfile.js';
import { dialViaSsh } from './ssh-dial.js';

async function runForwarder(argv: string[]): Promise<number> {
  const [workspace, kind = 'docker'] = argv;
  const io = systemIO(process.env);
  const log = (line: string): void => io.err(`${new Date().toISOString()} [${process.pid}] ${line}`);
  if (!workspace) {
    log('usage: forwarder-main.js WORKSPACE [BACKEND]');
    return 2;
  }
  const paths = resolvePaths(process.env);
  const files = portFiles(paths, workspace);
  if (!(await claimPidFile(files.pid))) {
    log('another forwarder already runs for this workspace');
    return 0;
  }
  const backendKind = kind as BackendKind;
  const backend = await createBackend(backendKind, process.env);
  if (!hasRoutes(backend)) {
    log(`the ${backendKind} backend can't forward ports`);
    await releasePidFile(files.pid);
    return 2;
  }
  const forwarder = new Forwarder({
    workspace,
    files,
    route: backend.route(workspace),
    dialLoopback: async (port) => {
      // Kubernetes: the API server's port-forward reaches the pod's loopback too.
      if (hasDial(backend)) return backend.dial(workspace, port);
      const user = (await backend.find(workspace))?.user ?? 'dev';
      return dialViaSsh(paths, workspace, user, await backend.endpoint(workspace, 2222), port);
    },
    log,
  });
  const previous = await readJson<ForwarderState>(files.state);
  if (previous?.ports) forwarder.remember(previous.ports);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => forwarder.stop());
  // A closing terminal must not end it (it runs in its own session anyway).
  process.on('SIGHUP', () => undefined);
  log(`forwarder started for ${workspace}`);
  try {
    await forwarder.run();
  } finally {
    await releasePidFile(files.pid);
    log('forwarder stopped');
  }
  return 0;
}

process.exitCode = await runForwarder(process.argv.slice(2));
// Connections still open must not keep a stopped forwarder alive.
process.exit();
