import type { WorkspaceUsage } from '../backend.js';
import type { KubeTarget } from './client.js';
import { execCapture } from './exec.js';
import { kubernetesClient } from './library.js';
import { objectName } from './objects.js';
import { parseQuantity } from './quantity.js';

/**
 * CPU and memory of running workspaces (name → namespace), by name: from the metrics API
 * (metrics.k8s.io, metrics-server) where the cluster has one, else from each pod's own cgroup through
 * exec (two samples a second apart). A workspace neither can tell about is left out.
 */
export async function podUsage(
  target: KubeTarget,
  workspaces: Map<string, string>,
  signal?: AbortSignal,
): Promise<Map<string, WorkspaceUsage>> {
  const usage = new Map<string, WorkspaceUsage>();
  const namespaces = [...new Set(workspaces.values())];
  const measured = await Promise.all(namespaces.map((namespace) => metricsIn(target, namespace)));
  const missing: [string, string][] = [];
  for (const [name, namespace] of workspaces) {
    const found = measured[namespaces.indexOf(namespace)]?.get(objectName(name));
    if (found) usage.set(name, found);
    else missing.push([name, namespace]);
  }
  await Promise.all(
    missing.map(async ([name, namespace]) => {
      if (signal?.aborted) return;
      const into = { config: target.config, namespace, pod: objectName(name) };
      const probe = await execCapture(into, ['sh', '-c', CGROUP_PROBE]).catch(() => undefined);
      const found = probe?.exitCode === 0 ? cgroupUsage(probe.stdout) : undefined;
      if (found) usage.set(name, found);
    }),
  );
  return usage;
}

/** PodMetrics of a namespace by pod name; empty when the cluster has no metrics API (or we may not read it). */
async function metricsIn(target: KubeTarget, namespace: string): Promise<Map<string, WorkspaceUsage>> {
  const { CustomObjectsApi } = await kubernetesClient();
  const api = target.config.makeApiClient(CustomObjectsApi);
  const list: unknown = await api
    .listNamespacedCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', namespace, plural: 'pods' })
    .catch(() => undefined);
  return metricsUsage(list);
}

interface PodMetricsList {
  items?: { metadata?: { name?: string }; containers?: { usage?: { cpu?: string; memory?: string } }[] }[];
}

/** A PodMetricsList (metrics.k8s.io/v1beta1) as usage by pod name: its containers summed. */
export function metricsUsage(list: unknown): Map<string, WorkspaceUsage> {
  const usage = new Map<string, WorkspaceUsage>();
  for (const item of (list as PodMetricsList | undefined)?.items ?? []) {
    const name = item.metadata?.name;
    const containers = item.containers ?? [];
    if (!name || containers.length === 0) continue;
    let cores = 0;
    let memoryBytes = 0;
    for (const c of containers) {
      cores += parseQuantity(c.usage?.cpu ?? '');
      memoryBytes += parseQuantity(c.usage?.memory ?? '');
    }
    if (Number.isFinite(cores) && Number.isFinite(memoryBytes))
      usage.set(name, { cpuPercent: cores * 100, memoryBytes: Math.round(memoryBytes) });
  }
  return usage;
}

/**
 * Two samples, a second apart, of the container's own cgroup (cgroup v2: cpu.stat's usage_usec,
 * memory.current; v1: cpuacct.usage in ns, memory.usage_in_bytes) with the clock (/proc/uptime) and
 * the reclaimable page cache (inactive_file), as `key value` lines; `--` between the samples. Only sh
 * builtins, cat and sleep: it runs in any image, as the workspace user.
 */
export const CGROUP_PROBE = `pick() { while read -r k v; do if [ "$k" = "$1" ]; then echo "$2 $v"; fi; done <"$3"; }
sample() {
  read -r up _ </proc/uptime; echo "t $up"
  if [ -r /sys/fs/cgroup/cpu.stat ]; then
    pick usage_usec cpu_us /sys/fs/cgroup/cpu.stat
    echo "mem $(cat /sys/fs/cgroup/memory.current)"
    pick inactive_file inactive /sys/fs/cgroup/memory.stat
  else
    for d in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do
      [ -r $d/cpuacct.usage ] && { echo "cpu_ns $(cat $d/cpuacct.usage)"; break; }
    done
    echo "mem $(cat /sys/fs/cgroup/memory/memory.usage_in_bytes)"
    pick total_inactive_file inactive /sys/fs/cgroup/memory/memory.stat
  fi
}
sample; sleep 1; echo --; sample`;

/**
 * CGROUP_PROBE's output as usage: CPU from the two samples' difference over the time between them,
 * memory as the working set of the second (usage less inactive page cache, as `kubectl top` and
 * `docker stats` count it); undefined when a value is missing.
 */
export function cgroupUsage(text: string): WorkspaceUsage | undefined {
  const [first, second] = text.split(/^--$/m).map(sampleOf);
  if (!first || !second) return undefined;
  const seconds = (second.t ?? Number.NaN) - (first.t ?? Number.NaN);
  const cpu = (s: Record<string, number>): number =>
    s.cpu_us !== undefined ? s.cpu_us / 1e6 : (s.cpu_ns ?? Number.NaN) / 1e9;
  const cpuPercent = ((cpu(second) - cpu(first)) / seconds) * 100;
  const memoryBytes = (second.mem ?? Number.NaN) - (second.inactive ?? 0);
  if (!(seconds > 0) || !Number.isFinite(cpuPercent) || !Number.isFinite(memoryBytes)) return undefined;
  return { cpuPercent: Math.max(0, Math.round(cpuPercent * 10) / 10), memoryBytes: Math.max(0, memoryBytes) };
}

function sampleOf(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && value !== '' && Number.isFinite(Number(value)))
      values[key] = Number(value);
  }
  return values;
}
