// Smoke tests for the real test cluster (test/cluster/cluster.sh up), through @kubernetes/client-node,
// the library devc's Kubernetes backend uses. Needs KUBECONFIG and DEVC_REGISTRY from `cluster.sh up`.
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Collect,
  clusterEnv,
  execInPod,
  loadKubeConfig,
  run,
  uniqueName,
  waitFor,
  waitPodGone,
  waitPodRunning,
  withNamespace,
  type WsLike,
} from './support/cluster.js';

const { registry } = clusterEnv(); // throws (fails the file) when the cluster env is missing
const kc = loadKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

const PAGE = `devc-smoke-page-${Date.now()}\n`;
let image = ''; // registry/devc-smoke:tag, pushed in beforeAll
let pushedDigest = '';

function smokePod(
  name: string,
  extra: Partial<k8s.V1PodSpec> = {},
  mounts: k8s.V1VolumeMount[] = [],
): k8s.V1Pod {
  return {
    metadata: { name, labels: { app: 'devc-smoke' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'Always', // must come from the local registry, like production
          ports: [{ containerPort: 8080 }],
          volumeMounts: mounts,
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
      ...extra,
    },
  };
}

beforeAll(async () => {
  // Build locally, push to the local registry; the node pulls it from there.
  const ctx = await mkdtemp(path.join(tmpdir(), 'devc-smoke-'));
  try {
    const haveHostBusybox = existsSync('/bin/busybox');
    if (haveHostBusybox) await copyFile('/bin/busybox', path.join(ctx, 'busybox'));
    await writeFile(path.join(ctx, 'index.html'), PAGE);
    await writeFile(
      path.join(ctx, 'Dockerfile'),
      [
        'FROM debian:bookworm-slim',
        haveHostBusybox
          ? 'COPY busybox /usr/local/bin/busybox'
          : 'RUN apt-get update && apt-get install -y --no-install-recommends busybox-static && ln -s /bin/busybox /usr/local/bin/busybox && rm -rf /var/lib/apt/lists/*',
        'COPY index.html /www/index.html',
        // httpd daemonises; the loop keeps PID 1 alive and gives the log test a line per second
        `CMD ["/bin/sh", "-c", "busybox httpd -p 8080 -h /www && i=0 && while :; do echo tick $i; i=$((i+1)); sleep 1; done"]`,
        '',
      ].join('\n'),
    );
    image = `${registry}/devc-smoke:${Date.now().toString(36)}`;
    await run('docker', ['build', '-q', '-t', image, ctx], 600_000);
    const out = await run('docker', ['push', image], 300_000);
    const m = /digest: (sha256:[0-9a-f]{64})/.exec(out);
    if (!m?.[1]) throw new Error(`no digest in docker push output:\n${out}`);
    pushedDigest = m[1];
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
});

afterAll(async () => {
  if (image) await run('docker', ['rmi', image]).catch(() => undefined);
});

describe('test cluster smoke', () => {
  it('has a Ready node and a default StorageClass', async () => {
    const nodes = await core.listNode();
    expect(nodes.items).toHaveLength(1);
    const ready = nodes.items[0]?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    const storage = kc.makeApiClient(k8s.StorageV1Api);
    const classes = await storage.listStorageClass();
    const defaults = classes.items.filter(
      (c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
    );
    // The default is the local-path provisioner (as kind and k3s ship); the in-tree hostPath one stays.
    expect(defaults.map((c) => c.provisioner)).toEqual(['devc.test/local-path']);
    expect(classes.items.map((c) => c.metadata?.name).sort()).toEqual(['devc-hostpath', 'devc-local']);
  });

  it('runs a pod from an image pushed to the local registry; exec returns output and exit codes', async () => {
    await withNamespace(kc, 'smoke-exec', async (ns) => {
      await core.createNamespacedPod({ namespace: ns, body: smokePod('web') });
      const pod = await waitPodRunning(kc, ns, 'web');
      expect(pod.status?.phase).toBe('Running');
      // pulled from the registry: the image ID is the digest docker push reported
      expect(pod.status?.containerStatuses?.[0]?.imageID).toContain(pushedDigest);

      const ok = await execInPod(kc, ns, 'web', 'main', ['cat', '/www/index.html']);
      expect(ok.exitCode).toBe(0);
      expect(ok.stdout).toBe(PAGE);

      const bad = await execInPod(kc, ns, 'web', 'main', [
        'sh',
        '-c',
        'echo to-out; echo to-err >&2; exit 7',
      ]);
      expect(bad.exitCode).toBe(7);
      expect(bad.stdout).toBe('to-out\n');
      expect(bad.stderr).toBe('to-err\n');

      const zero = await execInPod(kc, ns, 'web', 'main', ['sh', '-c', 'exit 0']);
      expect(zero.exitCode).toBe(0);
    });
  });

  it('streams logs', async () => {
    await withNamespace(kc, 'smoke-logs', async (ns) => {
      await core.createNamespacedPod({ namespace: ns, body: smokePod('web') });
      await waitPodRunning(kc, ns, 'web');
      const ticks = (s: string): number[] => [...s.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1]));
      // a snapshot first, then a follow stream must deliver lines written after the snapshot
      const snapshot = await waitFor('first log line', 30_000, async () => {
        const text = await core.readNamespacedPodLog({ name: 'web', namespace: ns, container: 'main' });
        return ticks(text).length > 0 ? text : undefined;
      });
      const lastBefore = Math.max(...ticks(snapshot));
      const sink = new Collect();
      const abort = await new k8s.Log(kc).log(ns, 'web', 'main', sink, { follow: true });
      try {
        await waitFor('streamed log lines', 30_000, () =>
          Promise.resolve(ticks(sink.text()).some((n) => n > lastBefore + 2) ? true : undefined),
        );
      } finally {
        abort.abort();
      }
      const seen = ticks(sink.text());
      expect(seen[0]).toBe(0); // follow starts from the beginning
      // consecutive, no gaps or duplicates
      expect(seen).toEqual(seen.map((_, i) => i));
    });
  });

  it('port-forwards an HTTP request to the pod', async () => {
    await withNamespace(kc, 'smoke-pf', async (ns) => {
      await core.createNamespacedPod({ namespace: ns, body: smokePod('web') });
      await waitPodRunning(kc, ns, 'web');
      const forward = new k8s.PortForward(kc);
      const sockets = new Set<WsLike>();
      // One WebSocket per local connection. client-node does not end the local socket when the pod side
      // closes (the WebSocket closes ~1 s later): do it here, as devc's backend must.
      const conns = new Set<net.Socket>();
      const server = net.createServer((socket) => {
        conns.add(socket);
        socket.on('close', () => conns.delete(socket));
        forward
          .portForward(ns, 'web', [8080], socket, null, socket)
          .then((res) => {
            const ws = res as unknown as WsLike;
            sockets.add(ws);
            ws.on('close', () => {
              sockets.delete(ws);
              socket.end();
            });
            socket.on('close', () => ws.close());
          })
          .catch((e: unknown) => socket.destroy(e as Error));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const get = (urlPath: string): Promise<{ status: number; body: string }> =>
          new Promise((resolve, reject) => {
            const req = http.get(
              { host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 30_000 },
              (res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (d: string) => (body += d));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
                res.on('error', reject);
              },
            );
            req.on('timeout', () => req.destroy(new Error(`port-forward GET ${urlPath} timed out`)));
            req.on('error', reject);
          });
        const first = await get('/index.html');
        expect(first.status).toBe(200);
        expect(first.body).toBe(PAGE);
        // a second connection gets its own stream; busybox's 404 has no Content-Length, so this one
        // only completes if the pod closing its end reaches the local socket
        const missing = await get('/nope');
        expect(missing.status).toBe(404);
        expect(missing.body).toContain('404 Not Found');
      } finally {
        for (const ws of sockets) ws.close();
        for (const c of conns) c.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  it('binds a PVC dynamically and keeps its data across pod deletion', async () => {
    await withNamespace(kc, 'smoke-pvc', async (ns) => {
      await core.createNamespacedPersistentVolumeClaim({
        namespace: ns,
        body: {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Mi' } } },
        },
      });
      const pvc = await waitFor('PVC data Bound', 60_000, async () => {
        const c = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns });
        return c.status?.phase === 'Bound' ? c : undefined;
      });
      expect(pvc.spec?.storageClassName).toBe('devc-local');
      expect(pvc.spec?.volumeName).toBeTruthy();
      const volumeName = pvc.spec?.volumeName ?? '';

      const withVolume = (name: string): k8s.V1Pod =>
        smokePod(name, { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] }, [
          { name: 'data', mountPath: '/data' },
        ]);
      const token = uniqueName('token');
      await core.createNamespacedPod({ namespace: ns, body: withVolume('writer') });
      await waitPodRunning(kc, ns, 'writer');
      const w = await execInPod(kc, ns, 'writer', 'main', [
        'sh',
        '-c',
        `echo ${token} > /data/f && sync && cat /data/f && stat -c %a /data`,
      ]);
      expect(w.exitCode).toBe(0);
      // World-writable, as local-path volumes are: a non-root pod may write to it.
      expect(w.stdout).toBe(`${token}\n777\n`);

      await core.deleteNamespacedPod({ name: 'writer', namespace: ns, gracePeriodSeconds: 0 });
      await waitPodGone(kc, ns, 'writer');

      await core.createNamespacedPod({ namespace: ns, body: withVolume('reader') });
      await waitPodRunning(kc, ns, 'reader');
      const r = await execInPod(kc, ns, 'reader', 'main', ['cat', '/data/f']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(`${token}\n`);

      // The claim's end is the volume's (reclaim policy Delete): the provisioner deletes it.
      await core.deleteNamespacedPod({ name: 'reader', namespace: ns, gracePeriodSeconds: 0 });
      await core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns });
      await waitFor(`PV ${volumeName} deleted`, 60_000, async () => {
        const left = await core.readPersistentVolume({ name: volumeName }).catch(() => null);
        return left === null ? true : undefined;
      });
    });
  });
});
