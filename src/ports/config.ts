/**
 * What the forwarder forwards, as pure data. Three sources meet here:
 * - ports.json, written by devc from the merged devcontainer.json (`forwardPorts`, `portsAttributes`,
 *   `otherPortsAttributes`, with devcontainer.json's own field names and meanings);
 * - requests.json, the user's own `devc ports forward` / `devc ports stop`;
 * - the ports found listening inside the workspace (auto-forwarding).
 */

/** portsAttributes / otherPortsAttributes entries (devcontainer.json reference). */
export interface PortAttributes {
  label?: string;
  onAutoForward?: 'notify' | 'openBrowser' | 'openBrowserOnce' | 'openPreview' | 'silent' | 'ignore';
  requireLocalPort?: boolean;
  protocol?: 'http' | 'https';
  elevateIfNeeded?: boolean;
}

/** DEVC_HOME/workspaces/NAME/ports.json: devcontainer.json's port fields, as merged. */
export interface PortsConfig {
  forwardPorts?: (number | string)[];
  /** Keys: a port ("3000"), a range ("9000-9100"). */
  portsAttributes?: Record<string, PortAttributes>;
  otherPortsAttributes?: PortAttributes;
}

/** DEVC_HOME/workspaces/NAME/forwarder/requests.json: what the user asked for with `devc ports`. */
export interface PortRequests {
  /** Bumped on every change, echoed in state.json once applied. */
  generation: number;
  forwards: { remote: number; local?: number }[];
  /** Ports the user stopped: not forwarded even when forwardPorts lists them or they listen. */
  stopped: number[];
}

export type ForwardSource = 'config' | 'user' | 'auto';

/** One port the forwarder should forward. */
export interface ForwardSpec {
  remote: number;
  /** The local port wanted; undefined: the same as remote when free. */
  local: number | undefined;
  /** Fail instead of moving to another local port. */
  requireLocal: boolean;
  label: string | null;
  source: ForwardSource;
  protocol: 'http' | 'https';
}

/** Ports devc itself serves in every workspace: not auto-forwarded (SSH, code-server), still forwardable. */
export const RESERVED_PORTS: ReadonlySet<number> = new Set([2222, 8080]);

export const emptyRequests = (): PortRequests => ({ generation: 0, forwards: [], stopped: [] });

/** The attributes for a port: an exact key, then a range containing it, then `other` (auto ports only). */
export function attributesFor(config: PortsConfig, port: number, other = false): PortAttributes {
  const all = config.portsAttributes ?? {};
  const exact = all[String(port)];
  if (exact) return exact;
  for (const [key, value] of Object.entries(all)) {
    const range = /^(\d+)-(\d+)$/.exec(key.trim());
    if (range && port >= Number(range[1]) && port <= Number(range[2])) return value;
  }
  return other ? (config.otherPortsAttributes ?? {}) : {};
}

/** A forwardPorts entry as a port of the workspace itself, or null (another host, e.g. a compose "db:5432"). */
export function forwardPortNumber(entry: unknown): number | null {
  if (typeof entry === 'number') return validPort(entry) ? entry : null;
  if (typeof entry !== 'string') return null;
  const match = /^(?:(localhost|127\.0\.0\.1):)?(\d+)$/.exec(entry.trim());
  const port = match ? Number(match[2]) : NaN;
  return validPort(port) ? port : null;
}

/**
 * One warning per forwardPorts entry that is neither a port nor `HOST:PORT` (devcontainer.json
 * reference), so a typo is named instead of silently not forwarded.
 */
export function forwardPortsProblems(forwardPorts: unknown): string[] {
  if (forwardPorts === undefined) return [];
  if (!Array.isArray(forwardPorts))
    return [`forwardPorts is not a list (${shown(forwardPorts)}); devc forwards none of it.`];
  return forwardPorts
    .filter((entry) => {
      if (typeof entry === 'number') return !validPort(entry);
      const port = typeof entry === 'string' ? /^[\w.-]+:(\d{1,5})$|^(\d{1,5})$/.exec(entry.trim()) : null;
      return !port || !validPort(Number(port[1] ?? port[2]));
    })
    .map(
      (entry) => `forwardPorts entry ${shown(entry)} is not a port (1-65535) or HOST:PORT; devc skips it.`,
    );
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

export function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}

/** Everything to forward right now; the order is config, user, auto, each sorted by port. */
export function desiredForwards(
  config: PortsConfig,
  requests: PortRequests,
  listening: Iterable<number>,
): ForwardSpec[] {
  const stopped = new Set(requests.stopped);
  const out = new Map<number, ForwardSpec>();
  const spec = (remote: number, source: ForwardSource, local?: number): ForwardSpec => {
    const attrs = attributesFor(config, remote, source === 'auto');
    return {
      remote,
      local,
      requireLocal: local !== undefined || Boolean(attrs.requireLocalPort),
      label: attrs.label ?? null,
      source,
      protocol: attrs.protocol ?? 'http',
    };
  };
  // ports.json holds the config's value as written, which may not even be a list.
  for (const entry of Array.isArray(config.forwardPorts) ? config.forwardPorts : []) {
    const port = forwardPortNumber(entry);
    if (port !== null && !stopped.has(port) && !out.has(port)) out.set(port, spec(port, 'config'));
  }
  for (const request of requests.forwards) {
    // The user's explicit forward wins over the config's (it may name a local port).
    if (validPort(request.remote)) out.set(request.remote, spec(request.remote, 'user', request.local));
  }
  for (const port of [...listening].sort((a, b) => a - b)) {
    if (out.has(port) || stopped.has(port) || RESERVED_PORTS.has(port)) continue;
    if (attributesFor(config, port, true).onAutoForward === 'ignore') continue;
    out.set(port, spec(port, 'auto'));
  }
  const order: Record<ForwardSource, number> = { config: 0, user: 1, auto: 2 };
  return [...out.values()].sort((a, b) => order[a.source] - order[b.source] || a.remote - b.remote);
}

/** Parses `REMOTE[:LOCAL]` as given to `devc ports forward`. */
export function parsePortPair(text: string): { remote: number; local?: number } | null {
  const match = /^(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!match) return null;
  const remote = Number(match[1]);
  const local = match[2] === undefined ? undefined : Number(match[2]);
  if (!validPort(remote) || (local !== undefined && !validPort(local))) return null;
  return local === undefined ? { remote } : { remote, local };
}
