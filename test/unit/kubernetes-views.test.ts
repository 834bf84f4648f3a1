// The pure parts of view's details, the dashboard's events and usage on Kubernetes (the real cluster:
// test/k8s/views.test.ts).
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseProbe } from '../../src/backends/details-probe.js';
import { stopReasonOf } from '../../src/backends/kubernetes/details.js';
import { claimEvent, podEvent } from '../../src/backends/kubernetes/events.js';
import { STOPPED_AT } from '../../src/backends/kubernetes/objects.js';
import { cgroupUsage, metricsUsage } from '../../src/backends/kubernetes/usage.js';
import { toWorkspace } from '../../src/backends/kubernetes/workspace.js';

const labels = { 'dev.devc.workspace': 'shop' };

function pod(status: k8s.V1PodStatus, metadata: k8s.V1ObjectMeta = {}): k8s.V1Pod {
  return { metadata: { name: 'devc-shop', labels, ...metadata }, spec: { containers: [] }, status };
}

const ended = (message?: string): k8s.V1Pod =>
  pod({
    phase: 'Succeeded',
    containerStatuses: [
      {
        name: 'workspace',
        image: 'i',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: {
          terminated: {
            exitCode: 0,
            finishedAt: new Date('2026-01-02T03:04:05Z'),
            ...(message ? { message } : {}),
          },
        },
      },
    ],
  });

describe('the stop reason of an ended pod', () => {
  it("is the first line of the workspace container's termination message", () => {
    expect(stopReasonOf(ended('idle\n'))).toBe('idle');
    expect(stopReasonOf(ended('  idle  \nmore'))).toBe('idle');
  });

  it('is unknown without a message, a pod or a terminated container', () => {
    expect(stopReasonOf(ended())).toBeUndefined();
    expect(stopReasonOf(ended('\n'))).toBeUndefined();
    expect(stopReasonOf(null)).toBeUndefined();
    expect(stopReasonOf(pod({ phase: 'Running' }))).toBeUndefined();
  });
});

describe('the details probe', () => {
  it('reads last-active, connections and the home KiB', () => {
    expect(parseProbe(0, '1767323045|2|2048\n')).toEqual({
      agentStopReason: undefined,
      lastActiveAt: '2026-01-02T03:04:05.000Z',
      activeConnections: 2,
      homeBytes: 2 * 1024 * 1024,
    });
  });

  it('leaves out what is missing, and a failed probe tells nothing', () => {
    expect(parseProbe(0, '|0|\n')).toMatchObject({
      lastActiveAt: undefined,
      activeConnections: 0,
      homeBytes: undefined,
    });
    expect(parseProbe(1, '1767323045|2|2048')).toMatchObject({
      lastActiveAt: undefined,
      activeConnections: undefined,
    });
  });
});

describe('watch events', () => {
  const running = pod({ phase: 'Running' });
  it.each([
    ['ADDED', pod({ phase: 'Pending' }), 'create'],
    ['MODIFIED', running, 'start'],
    ['MODIFIED', pod({ phase: 'Pending' }, { annotations: { 'dev.devc.reached': 'now' } }), 'start'],
    ['MODIFIED', ended('idle'), 'die'],
    ['MODIFIED', pod({ phase: 'Failed' }), 'die'],
    ['MODIFIED', pod({ phase: 'Running' }, { deletionTimestamp: new Date() }), 'stop'],
    ['MODIFIED', pod({ phase: 'Pending' }), 'update'],
    ['DELETED', running, 'destroy'],
  ] as const)('%s of a pod (%#) is %s', (type, object, action) => {
    expect(podEvent(type, object)).toEqual({ name: 'shop', action });
  });

  it('ignores bookmarks, errors and objects without a valid workspace label', () => {
    expect(podEvent('BOOKMARK', running)).toBeNull();
    expect(podEvent('ERROR', running)).toBeNull();
    expect(podEvent('ADDED', pod({ phase: 'Running' }, { labels: {} }))).toBeNull();
    expect(
      podEvent('ADDED', pod({ phase: 'Running' }, { labels: { 'dev.devc.workspace': '../x' } })),
    ).toBeNull();
  });

  it('reports a claim appearing or going, not its updates', () => {
    const pvc: k8s.V1PersistentVolumeClaim = { metadata: { name: 'devc-shop', labels } };
    expect(claimEvent('ADDED', pvc)).toEqual({ name: 'shop', action: 'create' });
    expect(claimEvent('DELETED', pvc)).toEqual({ name: 'shop', action: 'destroy' });
    expect(claimEvent('MODIFIED', pvc)).toBeNull();
  });
});

describe('usage from the metrics API', () => {
  it('sums the containers of each pod: CPU in percent of one core, memory in bytes', () => {
    const list = {
      kind: 'PodMetricsList',
      items: [
        {
          metadata: { name: 'devc-shop' },
          containers: [
            { name: 'workspace', usage: { cpu: '250000000n', memory: '102400Ki' } },
            { name: 'side', usage: { cpu: '1500m', memory: '1Mi' } },
          ],
        },
        { metadata: { name: 'devc-idle' }, containers: [{ usage: { cpu: '0', memory: '0' } }] },
        { metadata: { name: 'devc-odd' }, containers: [{ usage: { cpu: 'lots', memory: '1Ki' } }] },
      ],
    };
    const usage = metricsUsage(list);
    expect(usage.get('devc-shop')).toEqual({ cpuPercent: 175, memoryBytes: 102400 * 1024 + 1024 * 1024 });
    expect(usage.get('devc-idle')).toEqual({ cpuPercent: 0, memoryBytes: 0 });
    expect(usage.has('devc-odd')).toBe(false);
  });

  it('is empty when the cluster has no metrics API', () => {
    expect(metricsUsage(undefined).size).toBe(0);
    expect(metricsUsage({ kind: 'Status', code: 404 }).size).toBe(0);
  });
});

describe('usage from the cgroup', () => {
  it('cgroup v2: CPU from usage_usec over the uptime difference, memory less inactive file pages', () => {
    const text = [
      't 1000.00',
      'cpu_us 5000000',
      'mem 300000000',
      'inactive 100000000',
      '--',
      't 1001.00',
      'cpu_us 5500000',
      'mem 310000000',
      'inactive 10000000',
    ].join('\n');
    expect(cgroupUsage(text)).toEqual({ cpuPercent: 50, memoryBytes: 300_000_000 });
  });

  it('cgroup v1: cpuacct.usage in nanoseconds, several cores', () => {
    const text =
      't 10.00\ncpu_ns 1000000000\nmem 2048\n--\nt 10.50\ncpu_ns 1900000000\nmem 4096\ninactive 1024\n';
    expect(cgroupUsage(text)).toEqual({ cpuPercent: 180, memoryBytes: 3072 });
  });

  it('tells nothing from an incomplete or odd output', () => {
    expect(cgroupUsage('t 1\ncpu_us 1\nmem 1\n')).toBeUndefined();
    expect(cgroupUsage('t 1\nmem 1\n--\nt 2\nmem 1\n')).toBeUndefined();
    expect(cgroupUsage('t 1\ncpu_us 1\nmem 1\n--\nt 1\ncpu_us 2\nmem 1\n')).toBeUndefined();
    expect(cgroupUsage('')).toBeUndefined();
  });
});

describe('when a stopped workspace stopped', () => {
  const pvc: k8s.V1PersistentVolumeClaim = {
    metadata: {
      name: 'devc-shop',
      labels,
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      annotations: { [STOPPED_AT]: '2026-01-03T00:00:00.000Z', 'dev.devc.repository': 'https://x/shop.git' },
    },
  };

  it('is the time devc stop noted on the claim when there is no pod', () => {
    expect(toWorkspace(pvc, null, 'devc').stoppedAt).toBe('2026-01-03T00:00:00.000Z');
  });

  it("is the container's end when the pod ended (the note is older)", () => {
    expect(toWorkspace(pvc, ended('idle'), 'devc').stoppedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(toWorkspace(pvc, pod({ phase: 'Running' }), 'devc').stoppedAt).toBeUndefined();
  });
});
