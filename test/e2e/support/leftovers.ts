import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { dockerOut } from './docker.js';
import { root } from './devc.js';

/** What a test's devc left behind; every list is sorted so two snapshots compare with `toEqual`. */
export interface Leftovers {
  /** Workspace names of containers labelled `dev.devc.workspace`. */
  containers: string[];
  /** Names of volumes labelled `dev.devc.workspace`. */
  volumes: string[];
  /** Entries of DEVC_HOME/workspaces. */
  folders: string[];
  /** Entries of DEVC_HOME/locks. */
  locks: string[];
  /** `PID ARGS` of devc's own processes (the CLI, the forwarder, hooks) run with this DEVC_HOME. */
  processes: string[];
}

/**
 * Everything that belongs to one test: engine objects whose workspace name starts with `prefix` or
 * whose clone lies under `home` (names derived from a repository carry no prefix), and `home`'s
 * folders, locks and processes.
 */
export async function leftovers(home: string, prefix: string): Promise<Leftovers> {
  const [containers, volumes, folders, locks, processes] = await Promise.all([
    engineList(['ps', '-a', '--format', '{{.Label "dev.devc.workspace"}}\t{{.Label "dev.devc.source"}}']),
    engineList(['volume', 'ls', '--format', '{{.Label "dev.devc.workspace"}}\t{{.Name}}']),
    entries(path.join(home, 'workspaces')),
    entries(path.join(home, 'locks')),
    devcProcesses(home),
  ]);
  const ours = containers.filter(([name, source]) => name.startsWith(prefix) || isInside(source, home));
  const names = new Set(ours.map(([name]) => name));
  return {
    containers: ours.map(([name]) => name).sort(),
    volumes: volumes
      .filter(([name]) => name.startsWith(prefix) || names.has(name))
      .map(([, volume]) => volume)
      .sort(),
    folders,
    locks,
    processes,
  };
}

/** An empty snapshot: what a case that makes nothing must leave. */
export const nothing: Leftovers = { containers: [], volumes: [], folders: [], locks: [], processes: [] };

async function engineList(args: string[]): Promise<[string, string][]> {
  const out = await dockerOut([...args, '--filter', 'label=dev.devc.workspace']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [a = '', b = ''] = line.split('\t');
      return [a, b];
    });
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).then(
    (names) => names.sort(),
    () => [],
  );
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return file !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Processes started from this checkout (bin/devc, dist/…, its node_modules) with DEVC_HOME=home. */
async function devcProcesses(home: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      if (!environ.includes(`DEVC_HOME=${home}`)) continue;
      const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      if (args.some((a) => a.startsWith(`${root}/`))) found.push(`${pid} ${args.join(' ')}`);
    } catch {
      // gone already, or not ours to read
    }
  }
  return found.sort();
}
