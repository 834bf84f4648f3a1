import { readdir, readFile, rm, stat } from 'node:fs/promises';
import type { PortRouter } from '../backends/backend.js';
import { createPortRouter, parseBackendKind, type BackendOptions } from '../backends/factory.js';
import type { Paths } from '../paths.js';
import { portFiles, readJson, type ForwarderState, type RouteRequest } from '../ports/files.js';
import { backoff } from '../wait/backoff.js';
import { isWorkspaceName } from '../workspace/name.js';
import { Forwarder } from './forwarder.js';
import { fileLogger } from './log-file.js';
import { releasePidFile, takeOverPidFile } from './pidfile.js';
import { WorkspaceSsh } from './workspace-ssh.js';

/**
 * Buffers of streams that have ended are garbage, but V8 collects them only once external memory has
 * grown by tens of megabytes; a long-running service collects them itself every ten seconds when
 * they are more than 8 MB (a full collection of its small heap takes a few milliseconds). Needs
 * node's --expose-gc (services/forwarder.ts starts it so); without it, nothing happens.
 */
function releaseBuffers(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc && process.memoryUsage().arrayBuffers > 8 * 1024 * 1024) gc();
}

/** One workspace the service forwards: its route.json as read, and its Forwarder once made. */
interface Served {
  route: string;
  forwarder: Forwarder | null;
  done: Promise<void>;
}

/**
 * The one forwarder of a DEVC_HOME. Every workspace with a `forwarder/route.json` (written by devc
 * when it wants that workspace forwarded) gets a Forwarder (forwarder.ts: its listeners, healing and
 * state file), reached through the backend that route names, made with the options the route carries.
 * Ends when no workspace is left to forward.
 */
export class ForwarderService {
  private readonly served = new Map<string, Served>();
  private readonly routers = new Map<string, Promise<PortRouter>>();
  private readonly stamps = new Map<string, { stamp: string; route: string }>();
  private readonly abort = new AbortController();

  constructor(
    private readonly paths: Paths,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (line: string) => void,
    /** Makes a backend's routes (tests pass their own). */
    private readonly makeRouter: typeof createPortRouter = createPortRouter,
  ) {}

  /** Follows the route files four times a second until `stop()` or until nothing is left. */
  async run(): Promise<void> {
    const tick = backoff({ first: 250, max: 250, signal: this.abort.signal });
    let idle = 0;
    for (let ticks = 1; !this.abort.signal.aborted; ticks++) {
      if (ticks % 40 === 0) releaseBuffers();
      const wanted = await this.registered();
      for (const [name, s] of this.served)
        if (wanted.get(name) !== s.route) await this.drop(name, !wanted.has(name));
      for (const [name, route] of wanted) if (!this.served.has(name)) this.serve(name, route);
      // Two quiet looks in a row, so a command registering right now is not missed.
      idle = this.served.size === 0 ? idle + 1 : 0;
      if (idle >= 2) {
        this.log('nothing left to forward; exiting');
        break;
      }
      await tick.pause();
    }
    // Stopping the service keeps what it forwards registered: the next one carries on with it.
    await Promise.all([...this.served.keys()].map((name) => this.drop(name, false)));
  }

  stop(): void {
    this.abort.abort();
  }

  /** Workspace name → its route.json text, for every workspace devc asked to forward. */
  private async registered(): Promise<Map<string, string>> {
    const names = await readdir(this.paths.workspacesDir).catch(() => [] as string[]);
    const wanted = new Map<string, string>();
    for (const name of names.filter(isWorkspaceName)) {
      const file = portFiles(this.paths, name).route;
      const stamp = await stat(file).then(
        (s) => `${s.mtimeMs}:${s.size}`,
        () => null,
      );
      if (stamp === null) continue;
      let known = this.stamps.get(name);
      if (known?.stamp !== stamp) {
        const route = await readFile(file, 'utf8').catch(() => null);
        if (route === null) continue;
        known = { stamp, route };
        this.stamps.set(name, known);
      }
      wanted.set(name, known.route);
    }
    for (const name of this.stamps.keys()) if (!wanted.has(name)) this.stamps.delete(name);
    return wanted;
  }

  private serve(name: string, route: string): void {
    const entry: Served = { route, forwarder: null, done: Promise.resolve() };
    this.served.set(name, entry);
    entry.done = this.forward(name, entry)
      .catch((error: unknown) =>
        this.log(`${name}: ${error instanceof Error ? error.message : String(error)}`),
      )
      .then(async () => {
        if (this.served.get(name) !== entry) return; // dropped: drop() tidies up
        // It ended by itself: the workspace is gone, or can't be forwarded. Not tried again.
        this.served.delete(name);
        const files = portFiles(this.paths, name);
        await Promise.all([rm(files.route, { force: true }), rm(files.state, { force: true })]);
        await releasePidFile(files.pid);
      });
  }

  private async forward(name: string, entry: Served): Promise<void> {
    const request = JSON.parse(entry.route) as RouteRequest;
    const files = portFiles(this.paths, name);
    const logger = fileLogger(files.log);
    try {
      await this.forwardWith(name, entry, request, logger.log);
    } finally {
      logger.close();
    }
  }

  private async forwardWith(
    name: string,
    entry: Served,
    request: RouteRequest,
    log: (line: string) => void,
  ): Promise<void> {
    const files = portFiles(this.paths, name);
    const router = await this.router(request);
    const earlier = await takeOverPidFile(files.pid);
    if (earlier !== null) log(`took over from the forwarder process ${earlier}`);
    if (this.served.get(name) !== entry) return;
    const route = router.route(name);
    const ssh = new WorkspaceSsh(this.paths, name, route);
    const forwarder = new Forwarder({
      workspace: name,
      files,
      route,
      dialLoopback: async (port) => {
        // The workspace's sshd where it answers from here; else the route's own way (Kubernetes: the
        // API server's port-forward; a remote engine: its host's SSH connection or the exec relay).
        const through = await ssh.dial(port).catch((error: unknown) => {
          if (!route.dial) throw error;
          log(`the sshd of ${name} did not answer (${String(error)}); through the engine instead`);
        });
        if (through) return through;
        if (route.dial) return route.dial(port);
        throw new Error('the workspace is not running');
      },
      log,
    });
    // Local ports stay what they were: before a restart of the service, or in the one it took over from.
    const previous = await readJson<ForwarderState>(files.state);
    if (previous?.ports) forwarder.remember(previous.ports);
    entry.forwarder = forwarder;
    log(`forwarding ${name} (${request.backend}) in the forwarder service`);
    try {
      await forwarder.run();
    } finally {
      ssh.stop();
    }
  }

  /** Stops forwarding one workspace; `forget`: it was unregistered, so its state goes too. */
  private async drop(name: string, forget: boolean): Promise<void> {
    const entry = this.served.get(name);
    if (!entry) return;
    this.served.delete(name);
    entry.forwarder?.stop();
    await entry.done;
    const files = portFiles(this.paths, name);
    if (forget) await rm(files.state, { force: true });
    await releasePidFile(files.pid);
  }

  /**
   * The routes of the backend a request names, made with that request's own options (one per set of
   * options): the Kubernetes backend and its client load only once a Kubernetes workspace is served.
   */
  private router(request: RouteRequest): Promise<PortRouter> {
    const kind = parseBackendKind(String(request.backend));
    const key = JSON.stringify([kind, request.context, request.namespace, request.kubeconfig]);
    let made = this.routers.get(key);
    if (!made) {
      const env = { ...this.env };
      delete env.KUBECONFIG;
      if (request.kubeconfig) env.KUBECONFIG = request.kubeconfig;
      const options: BackendOptions = {
        ...(request.context ? { context: request.context } : {}),
        ...(request.namespace ? { namespace: request.namespace } : {}),
      };
      made = this.makeRouter(kind, env, options);
      made.catch(() => this.routers.delete(key));
      this.routers.set(key, made);
    }
    return made;
  }
}
