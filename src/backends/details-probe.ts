import type { WorkspaceDetails } from './backend.js';

/**
 * What `view` asks a running workspace, in one shell command (`sh -c PROBE devc-view HOME`): the
 * agent's last-active time, the established connections to sshd (2222 = 0x08AE) and code-server
 * (8080 = 0x1F90) as the agent counts them, and the disk the home folder uses. Docker and Kubernetes
 * run it through their exec; `parseProbe` reads its one line.
 */
export const DETAILS_PROBE = `la=$(cat /run/devc/last-active 2>/dev/null)
conn=$(for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && cat "$f"; done |
  awk '$4 == "01" { l = substr($2, length($2) - 4); if (l == ":08AE" || l == ":1F90") n++ } END { print n + 0 }')
home=$(du -sk "$1" 2>/dev/null | cut -f1)
echo "$la|$conn|$home"`;

/** The probe's output (`last-active|connections|home KiB`) as details; a failed probe tells nothing. */
export function parseProbe(exitCode: number, stdout: string): WorkspaceDetails {
  const [lastActive, connections, homeKb] = exitCode === 0 ? stdout.trim().split('|') : [];
  return {
    agentStopReason: undefined,
    lastActiveAt: parseTime(lastActive),
    activeConnections: numberOrUndefined(connections),
    homeBytes: kbToBytes(numberOrUndefined(homeKb)),
  };
}

/** Epoch seconds or an ISO time → ISO. */
export function parseTime(value: string | undefined): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export function numberOrUndefined(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function kbToBytes(kb: number | undefined): number | undefined {
  return kb === undefined ? undefined : kb * 1024;
}
