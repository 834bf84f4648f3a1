/**
 * The gateway's Prometheus metrics (text format 0.0.4), kept by the server that owns them: no module
 * state. Nothing is labelled by user: the scrape shows how the service runs, not who uses it.
 */

const BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

/** `{a="b"}` with label values escaped as the text format wants. */
function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Histogram {
  private readonly counts = BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.counts[i]! += 1;
    });
    this.sum += seconds;
    this.count += 1;
  }

  lines(name: string): string[] {
    return [
      ...BUCKETS.map((le, i) => `${name}_bucket${labels({ le: String(le) })} ${this.counts[i]}`),
      `${name}_bucket${labels({ le: '+Inf' })} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

export class Metrics {
  /** Making a workspace that did not exist, until its editor answers. */
  readonly coldStart = new Histogram();
  /** Waking a stopped workspace, until its editor answers. */
  readonly wake = new Histogram();
  /** Proxied WebSocket sessions open now. */
  webSockets = 0;
  private readonly requests = new Map<string, number>();

  request(route: string, status: number): void {
    const key = `${route} ${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  /** The text a scrape gets; `states` is the count of workspaces by state, read from the engine now. */
  render(states: Record<string, number>): string {
    const out = [
      '# HELP devc_workspaces Workspaces the gateway made, by state (read from the engine at scrape time).',
      '# TYPE devc_workspaces gauge',
      ...Object.entries(states)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([state, n]) => `devc_workspaces${labels({ state })} ${n}`),
      '# HELP devc_cold_start_seconds Time from a request for a new workspace to its editor answering.',
      '# TYPE devc_cold_start_seconds histogram',
      ...this.coldStart.lines('devc_cold_start_seconds'),
      '# HELP devc_wake_seconds Time from a request for a stopped workspace to its editor answering.',
      '# TYPE devc_wake_seconds histogram',
      ...this.wake.lines('devc_wake_seconds'),
      '# HELP devc_websocket_sessions Proxied WebSocket sessions open now.',
      '# TYPE devc_websocket_sessions gauge',
      `devc_websocket_sessions ${this.webSockets}`,
      '# HELP devc_requests_total Requests answered, by route kind and status.',
      '# TYPE devc_requests_total counter',
      ...[...this.requests.entries()].sort().map(([key, n]) => {
        const [route, status] = key.split(' ') as [string, string];
        return `devc_requests_total${labels({ route, status })} ${n}`;
      }),
    ];
    return `${out.join('\n')}\n`;
  }
}
