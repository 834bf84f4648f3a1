// What a devcontainer.json's mounts, runArgs and capAdd become in a Kubernetes pod, and the registry's
// login as the workspace's pull Secret.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevcontainerSpec } from '../../src/backends/backend.js';
import { mapConfig } from '../../src/backends/kubernetes/config-map.js';
import { fromDevcontainer } from '../../src/backends/kubernetes/devcontainer.js';
import { podManifest, restartManifest, type PodPlan } from '../../src/backends/kubernetes/objects.js';
import { withPodConfig } from '../../src/backends/kubernetes/pod-config.js';
import { pullSecretManifest } from '../../src/backends/kubernetes/pull-secret.js';
import { manifestExists, registryLogin } from '../../src/backends/kubernetes/registry.js';

const map = (configuration: Record<string, unknown>) => mapConfig(configuration, 'devcontainer.json', 'shop');

describe('runArgs, capAdd and mounts on Kubernetes', () => {
  it.each<[string, Record<string, unknown>, Partial<ReturnType<typeof map>>]>([
    [
      '--cap-add X and --cap-add=cap_y',
      { runArgs: ['--cap-add', 'SYS_PTRACE', '--cap-add=cap_net_admin'] },
      { capabilities: ['SYS_PTRACE', 'NET_ADMIN'] },
    ],
    ['capAdd', { capAdd: ['SYS_PTRACE'] }, { capabilities: ['SYS_PTRACE'] }],
    ['--shm-size 1g', { runArgs: ['--shm-size', '1g'] }, { shmBytes: 1024 ** 3 }],
    ['--shm-size=512m', { runArgs: ['--shm-size=512m'] }, { shmBytes: 512 * 1024 ** 2 }],
    [
      '--env, -e and -eK=V',
      { runArgs: ['--env', 'A=1', '-e', 'B=x=y', '-eC=3', '--env=D='] },
      { env: { A: '1', B: 'x=y', C: '3', D: '' } },
    ],
    [
      'a named volume, an anonymous one and a tmpfs',
      {
        mounts: [
          'source=cache-${devcontainerId},target=/home/dev/.cache,type=volume',
          { type: 'volume', target: '/scratch' },
          'type=tmpfs,target=/tmp/fast',
        ],
      },
      {
        mounts: [
          { kind: 'workspace', source: 'cache-shop', target: '/home/dev/.cache', readOnly: false },
          { kind: 'empty', target: '/scratch', readOnly: false },
          { kind: 'memory', target: '/tmp/fast', readOnly: false },
        ],
      },
    ],
  ])('%s', (_what, configuration, expected) => {
    expect(map(configuration)).toMatchObject(expected);
    expect(map(configuration).warning).toBeUndefined();
  });

  it('names every runArg it does not apply in one warning, values included', () => {
    const mapped = map({
      runArgs: ['--init', '--network', 'host', '--cap-add', 'X', '-e', 'FROM_HOST', '--device=/dev/kvm'],
    });
    expect(mapped.capabilities).toEqual(['X']);
    expect(mapped.warning).toBe(
      'devcontainer.json: runArgs --init, --network host, --env FROM_HOST (a value from this machine), --device=/dev/kvm have no equivalent in a Kubernetes pod and are not applied.',
    );
  });

  it.each([
    [
      'a bind mount',
      'source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind',
      /is a bind mount: the cluster's nodes don't have this machine's folders/,
    ],
    [
      'a mount over /workspaces',
      'source=x,target=/workspaces,type=volume',
      /covers a folder devc's agent uses/,
    ],
    ['a mount under /etc/devc', 'type=tmpfs,target=/etc/devc/keys', /covers a folder devc's agent uses/],
    ['another mount type', 'type=npipe,source=x,target=/x', /is of type npipe/],
    ['a relative target', 'type=tmpfs,target=tmp', /has no absolute target/],
  ])('refuses %s by name', (_what, mount, message) => {
    expect(() => map({ mounts: [mount] })).toThrow(message);
  });

  it('names config keys that change nothing in a pod in the same warning', () => {
    expect(map({ appPort: [3000], init: true, runArgs: ['--init'] }).warning).toBe(
      'devcontainer.json: runArgs --init, appPort, init have no equivalent in a Kubernetes pod and are not applied.',
    );
    expect(map({ init: false, appPort: 3000 }).warning).toBe(
      'devcontainer.json: appPort has no equivalent in a Kubernetes pod and is not applied.',
    );
  });

  it('refuses a --shm-size that is no size', () => {
    expect(() => map({ runArgs: ['--shm-size', 'lots'] })).toThrow(/--shm-size lots is not a size/);
  });
});

const plan: PodPlan = {
  name: 'devc-shop',
  namespace: 'devc',
  labels: { 'dev.devc.workspace': 'shop' },
  annotations: {},
  workspace: 'shop',
  image: 'r/x:1',
  toolsImage: 'r/x:1',
  folder: '/workspaces/shop',
  home: '/home/dev',
  env: {},
  clone: undefined,
  cpus: undefined,
  memoryBytes: undefined,
  prepare: 'root',
};

describe('the pod with the config applied', () => {
  const config = map({
    runArgs: ['--cap-add', 'SYS_PTRACE', '--shm-size', '1g', '-e', 'A=1'],
    mounts: ['source=cache,target=/home/dev/.cache,type=volume', 'type=tmpfs,target=/tmp/fast'],
  });
  const owner = { uid: 1500, gid: 1600 };
  const pod = withPodConfig(
    podManifest(plan, 'devc-shop', 'devc-shop'),
    config,
    'devc-shop-registry',
    true,
    owner,
  );
  const container = pod.spec?.containers[0];

  it('mounts named volumes from the workspace volume, the rest as emptyDirs, /dev/shm in memory', () => {
    expect(container?.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'data', mountPath: '/home/dev/.cache', subPath: 'volumes/cache', readOnly: false },
        { name: 'devc-mount-1', mountPath: '/tmp/fast', readOnly: false },
        { name: 'devc-shm', mountPath: '/dev/shm' },
      ]),
    );
    expect(pod.spec?.volumes).toEqual(
      expect.arrayContaining([
        { name: 'devc-mount-1', emptyDir: { medium: 'Memory' } },
        { name: 'devc-shm', emptyDir: { medium: 'Memory', sizeLimit: String(1024 ** 3) } },
      ]),
    );
  });

  it('adds capabilities and the pull Secret; makes the volume folders before the workspace starts', () => {
    expect(container?.securityContext?.capabilities?.add).toEqual(['SYS_PTRACE']);
    expect(container?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.spec?.imagePullSecrets).toEqual([{ name: 'devc-shop-registry' }]);
    const init = pod.spec?.initContainers ?? [];
    expect(init.map((c) => c.name)).toEqual(['prepare', 'volumes']);
    // The named volume's folder, and the mount point's folders in the home (else made by root).
    expect(init[1]?.command?.slice(4)).toEqual(['home/dev', 'home/dev/.cache', 'volumes/cache']);
    // The folders belong to the pod's user (the plan's uid and gid, from the image).
    expect(init[1]?.command?.[2]).toContain('chown 1500:1600 "$@"');
    expect(init[1]?.securityContext?.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE'] });
  });

  it('a later start has the mounts but makes no folders', () => {
    const restart = withPodConfig(
      restartManifest(plan, 'devc-shop', 'devc-shop'),
      config,
      undefined,
      false,
      owner,
    );
    expect(restart.spec?.initContainers).toEqual([]);
    expect(restart.spec?.containers[0]?.volumeMounts).toHaveLength((container?.volumeMounts ?? []).length);
    expect(restart.spec?.imagePullSecrets).toBeUndefined();
  });
});

describe("the registry's login", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'devc-docker-config-'));
    const auth = (s: string): string => Buffer.from(s).toString('base64');
    await writeFile(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: { 'reg.example:5000': { auth: auth('ci:s3cret') }, 'other.example': { auth: auth('x:y') } },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('comes from the docker config, for that registry only', async () => {
    const login = await registryLogin({ DOCKER_CONFIG: dir }, 'reg.example:5000');
    expect(login).toEqual({ username: 'ci', password: 's3cret' });
    expect(await registryLogin({ DOCKER_CONFIG: dir }, 'nowhere.example')).toBeUndefined();
    const secret = pullSecretManifest(
      {
        name: 'devc-shop-registry',
        namespace: 'devc',
        labels: { 'dev.devc.workspace': 'shop' },
        annotations: {},
      },
      'reg.example:5000',
      login ?? { username: '', password: '' },
    );
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata?.labels).toEqual({ 'dev.devc.workspace': 'shop' });
    const held = JSON.parse(secret.stringData?.['.dockerconfigjson'] ?? '{}') as {
      auths: Record<string, unknown>;
    };
    expect(Object.keys(held.auths)).toEqual(['reg.example:5000']);
  });
});

describe('asking a registry for a tag', () => {
  let server: Server;
  let host: string;
  const seen: string[] = [];
  beforeAll(async () => {
    // Basic auth only; `have:1` exists, anything else does not; `locked` refuses.
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      if (!req.headers.authorization) res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      else if (req.url?.includes('/locked/')) res.writeHead(403).end();
      else res.writeHead(req.url === '/v2/team/have/manifests/1' ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const login = { username: 'ci', password: 'pw' };

  it('answers yes, no, and refuses by name', async () => {
    expect(await manifestExists(host, 'team/have', '1', login)).toBe(true);
    expect(await manifestExists(host, 'team/have', '2', login)).toBe(false);
    await expect(manifestExists(host, 'team/locked', '1', login)).rejects.toThrow(
      `The registry ${host} refuses to show team/locked:1 (HTTP 403).`,
    );
    await expect(manifestExists(host, 'team/have', '1', undefined)).rejects.toThrow(/HTTP 401/);
    expect(seen.some((line) => line.startsWith('HEAD /v2/team/have/manifests/1 Basic '))).toBe(true);
  });

  it('names a registry that does not answer', async () => {
    await expect(manifestExists('127.0.0.1:1', 'a', 'b', undefined)).rejects.toThrow(
      /^Can't reach the registry 127\.0\.0\.1:1: /,
    );
  });
});

describe('configs the Kubernetes backend refuses', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'Compose',
      { dockerComposeFile: 'compose.yml', service: 'app' },
      /uses Docker Compose \("dockerComposeFile"\).*can't run/,
    ],
    ['privileged', { image: 'x', privileged: true }, /uses a privileged container \("privileged"\)/],
    ['a bind mount', { image: 'x', mounts: ['type=bind,source=/etc,target=/e'] }, /is a bind mount/],
  ])('%s, by name, before anything is built or made', async (_what, configuration, message) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-refused-'));
    try {
      await writeFile(path.join(dir, '.devcontainer.json'), JSON.stringify(configuration));
      const spec = {
        name: 'shop',
        sourcePath: dir,
        devcontainerConfig: '.devcontainer.json',
        configuration,
      } as unknown as DevcontainerSpec;
      await expect(fromDevcontainer(spec, {})).rejects.toThrow(message);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
