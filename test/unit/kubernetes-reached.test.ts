import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it, vi } from 'vitest';
import type { KubeTarget } from '../../src/backends/kubernetes/client.js';
import type * as Exec from '../../src/backends/kubernetes/exec.js';
import { startPod } from '../../src/backends/kubernetes/lifecycle.js';
import { POD_TEMPLATE, REACHED } from '../../src/backends/kubernetes/objects.js';
import { podState, untilReachable } from '../../src/backends/kubernetes/pods.js';

// The exec through the API server is faked: each call takes the next answer (an exec that can't reach
// a container yet prints nothing), then 'reached'.
const exec = vi.hoisted(() => ({
  answers: [] as string[],
  calls: 0,
  /** When set, each exec ends only after this resolves (so a test can order it against the status). */
  gate: undefined as Promise<void> | undefined,
}));
vi.mock('../../src/backends/kubernetes/exec.js', async (original) => ({
  ...(await original<typeof Exec>()),
  execCapture: async () => {
    exec.calls++;
    await exec.gate;
    return { exitCode: 0, stdout: exec.answers.shift() ?? 'reached\n', stderr: '' };
  },
}));

const pending = (annotations: Record<string, string> = {}): k8s.V1Pod => ({
  metadata: { name: 'devc-shop', annotations },
  status: { phase: 'Pending' },
});

/** A cluster holding one workspace's PVC and maybe its pod; records what devc writes. */
function cluster(pod: k8s.V1Pod | null, patch: () => Promise<k8s.V1Pod> = () => Promise.resolve({})) {
  const writes: { verb: string; body: unknown }[] = [];
  let current = pod;
  const notFound = Object.assign(new Error('not found'), { code: 404 });
  const core: Partial<k8s.CoreV1Api> = {
    readNamespacedPod: () => (current ? Promise.resolve(current) : Promise.reject(notFound)),
    readNamespacedPersistentVolumeClaim: () =>
      Promise.resolve({
        spec: {},
        metadata: { annotations: { [POD_TEMPLATE]: JSON.stringify({ metadata: { name: 'devc-shop' } }) } },
      }),
    createNamespacedPod: ({ body }) => {
      writes.push({ verb: 'create', body });
      current = { ...body, status: { phase: 'Pending' } };
      return Promise.resolve(current);
    },
    patchNamespacedPod: ({ body }) => {
      writes.push({ verb: 'patch', body });
      return patch();
    },
  };
  const target: KubeTarget = {
    config: {} as k8s.KubeConfig,
    context: 'test',
    namespace: 'devc',
    defaultNamespace: true,
    namespaceNamed: false,
    owner: 'me',
    core: core as k8s.CoreV1Api,
    networking: {} as k8s.NetworkingV1Api,
  };
  return { target, writes };
}

describe('a pod devc reached runs, for every process that reads it', () => {
  it.each([
    [pending({ [REACHED]: '2026-12-04T10:00:00Z' }), 'running'],
    [pending(), 'starting'],
    [{ ...pending({ [REACHED]: 'x' }), status: { phase: 'Succeeded' } }, 'stopped'],
    [{ ...pending({ [REACHED]: 'x' }), status: { phase: 'Failed' } }, 'exited'],
    [{ ...pending({ [REACHED]: 'x' }), status: { phase: 'Unknown' } }, 'starting'],
    [{ metadata: { annotations: { [REACHED]: 'x' }, deletionTimestamp: new Date() } }, 'stopped'],
  ])('%#: %j is %s', (pod, state) => {
    expect(podState(pod).state).toBe(state);
  });

  it('marks a starting pod once an exec reaches it', async () => {
    exec.calls = 0;
    exec.answers = ['', ''];
    const { target, writes } = cluster(pending());
    await startPod(target, 'devc', 'shop');
    expect(exec.calls).toBe(3);
    expect(writes).toEqual([
      { verb: 'patch', body: { metadata: { annotations: { [REACHED]: expect.any(String) as string } } } },
    ]);
  });

  it('makes a stopped pod again and marks it', async () => {
    exec.calls = 0;
    const { target, writes } = cluster(null);
    await startPod(target, 'devc', 'shop');
    expect(writes.map((w) => w.verb)).toEqual(['create', 'patch']);
  });

  it('takes a pod another process reached as running, without an exec', async () => {
    exec.calls = 0;
    const { target, writes } = cluster(pending({ [REACHED]: '2026-12-04T10:00:00Z' }));
    await startPod(target, 'devc', 'shop');
    expect(exec.calls).toBe(0);
    expect(writes).toEqual([]);
  });

  it('still starts when the Role may not patch pods (only the mark is missing)', async () => {
    const forbidden = Object.assign(new Error('forbidden'), { code: 403 });
    const { target, writes } = cluster(pending(), () => Promise.reject(forbidden));
    await expect(startPod(target, 'devc', 'shop')).resolves.toBe(false);
    expect(writes.map((w) => w.verb)).toEqual(['patch']);
  });

  it('fails when the pod is said to run and an exec begun after that still cannot reach it', async () => {
    exec.calls = 0;
    exec.answers = ['', '', ''];
    // The first exec ends (unreached) just after the status says Running: it began before and proves nothing.
    let read: () => void = () => undefined;
    exec.gate = new Promise<void>((resolve) => (read = resolve)).then(
      () => new Promise((resolve) => setTimeout(resolve, 20)),
    );
    const { target } = cluster({ ...pending(), status: { phase: 'Running' } });
    const reading = target.core.readNamespacedPod.bind(target.core);
    target.core.readNamespacedPod = (param) => {
      read();
      return reading(param);
    };
    const into = { config: target.config, namespace: 'devc', pod: 'devc-shop' };
    await expect(untilReachable(target, into, ':')).rejects.toThrow("Can't reach the workspace container");
    exec.gate = undefined;
    expect(exec.calls).toBe(2);
  });
});
