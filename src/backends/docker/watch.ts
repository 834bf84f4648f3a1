import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { WorkspaceEvent, WorkspaceUsage } from '../backend.js';
import { Label } from '../../workspace/model.js';
import { docker } from './engine.js';

// Only what changes a workspace's row: exec_* events (every `docker exec`) would be noise.
const ACTIONS = [
  'create',
  'start',
  'restart',
  'stop',
  'die',
  'kill',
  'pause',
  'unpause',
  'destroy',
  'rename',
];

/** `docker events` for devc's containers as a long-lived child; resolves when the stream ends. */
export function dockerEvents(onEvent: (event: WorkspaceEvent) => void, signal: AbortSignal): Promise<void> {
  const args = ['events', '--format', '{{json .}}', '--filter', 'type=container'];
  args.push('--filter', `label=${Label.workspace}`);
  for (const action of ACTIONS) args.push('--filter', `event=${action}`);
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const stop = (): void => {
      child.kill();
    };
    signal.addEventListener('abort', stop, { once: true });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = parseEvent(line);
      if (event) onEvent(event);
    });
    // 'error' (no docker binary) is followed by 'close'; either way the stream has ended.
    child.on('error', () => undefined);
    child.on('close', () => {
      signal.removeEventListener('abort', stop);
      resolve();
    });
  });
}

/** One line of `docker events --format '{{json .}}'`, or null when it is not a workspace event. */
export function parseEvent(line: string): WorkspaceEvent | null {
  try {
    const parsed = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
    const name = parsed.Actor?.Attributes?.[Label.workspace];
    if (!name || !parsed.Action) return null;
    return { name, action: parsed.Action.split(':')[0] ?? parsed.Action };
  } catch {
    return null;
  }
}

/** CPU and memory of these containers (`docker stats --no-stream`), keyed by workspace name. */
export async function dockerUsage(
  containers: Map<string, string>,
  signal?: AbortSignal,
): Promise<Map<string, WorkspaceUsage>> {
  const usage = new Map<string, WorkspaceUsage>();
  if (containers.size === 0) return usage;
  const byContainer = new Map([...containers].map(([name, container]) => [container, name]));
  // A container that vanished fails the whole call; the others' lines still come out.
  const result = await docker(['stats', '--no-stream', '--format', '{{json .}}', ...containers.values()], {
    allowFailure: true,
    ...(signal ? { signal } : {}),
  });
  for (const line of result.stdout.split('\n')) {
    const parsed = parseStats(line);
    const name = parsed && byContainer.get(parsed.container);
    if (parsed && name) usage.set(name, parsed.usage);
  }
  return usage;
}

/** One line of `docker stats --format '{{json .}}'`. */
export function parseStats(line: string): { container: string; usage: WorkspaceUsage } | null {
  try {
    const parsed = JSON.parse(line) as { Name?: string; CPUPerc?: string; MemUsage?: string };
    if (!parsed.Name) return null;
    const cpuPercent = Number.parseFloat(parsed.CPUPerc ?? '');
    const memoryBytes = parseSize(parsed.MemUsage?.split('/')[0] ?? '');
    if (!Number.isFinite(cpuPercent) || memoryBytes === undefined) return null;
    return { container: parsed.Name, usage: { cpuPercent, memoryBytes } };
  } catch {
    return null;
  }
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "1.047GiB" → bytes. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*([\d.]+)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match?.[2] ? UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  return Math.round(Number(match[1]) * unit);
}
