import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, inFolder } from '../../src/backends/kubernetes/exec.js';
import { labelValue } from '../../src/workspace/labels.js';
import { splitReference } from '../../src/backends/kubernetes/image.js';
import {
  podManifest,
  pvcManifest,
  restartManifest,
  type PodPlan,
} from '../../src/backends/kubernetes/objects.js';
import { NEEDS_ROOT_EXIT } from '../../src/backends/kubernetes/prepare.js';
import { podState } from '../../src/backends/kubernetes/pods.js';
import { parseQuantity } from '../../src/backends/kubernetes/quantity.js';

const plan: PodPlan = {
  name: 'devc-shop',
  namespace: 'devc',
  labels: { 'dev.devc.workspace': 'shop' },
  annotations: {},
  workspace: 'shop',
  image: 'reg:5000/devc/dev8-base:1',
  toolsImage: 'reg:5000/devc/dev8-base:1',
  folder: '/workspaces/shop',
  home: '/home/dev',
  env: { DEVC_IDLE_TIMEOUT: '1800' },
  clone: { url: 'https://git.example/acme/shop.git', branch: 'main' },
  cpus: 2,
  memoryBytes: 4e9,
  prepare: 'root',
};

describe('the workspace pod', () => {
  const pod = podManifest(plan, 'devc-shop', 'devc-shop');
  const container = pod.spec?.containers[0];

  it('runs the workspace as uid 1000, never restarting (an idle agent exit ends it)', () => {
    expect(container?.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(pod.spec?.restartPolicy).toBe('Never');
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
  });

  it('turns hostRequirements into equal requests and limits', () => {
    expect(container?.resources).toEqual({
      requests: { cpu: '2', memory: '4000000000' },
      limits: { cpu: '2', memory: '4000000000' },
    });
    expect(
      podManifest({ ...plan, cpus: undefined, memoryBytes: undefined }, 'p', 's').spec?.containers[0]
        ?.resources,
    ).toBeUndefined();
  });

  it('clones in an init container, with the URL in the environment and no token anywhere in the spec', () => {
    // One init container prepares the volume (root, few capabilities) and clones as uid 1000.
    expect(pod.spec?.initContainers?.map((c) => c.name)).toEqual(['clone']);
    const clone = pod.spec?.initContainers?.find((c) => c.name === 'clone');
    expect(clone?.env).toContainEqual({ name: 'DEVC_CLONE_URL', value: 'https://git.example/acme/shop.git' });
    expect(clone?.command?.[2]).toContain('exec setpriv --reuid=1000 --regid=1000 --clear-groups sh -c "$1"');
    expect(clone?.command?.[4]).toContain('git -c credential.helper=');
    expect(clone?.securityContext?.capabilities?.drop).toEqual(['ALL']);
    const envNames = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) =>
      (c.env ?? []).map((e) => e.name),
    );
    expect(envNames.filter((n) => /TOKEN|PASSWORD|SECRET|CREDENTIAL/.test(n))).toEqual([]);
    expect(
      podManifest({ ...plan, clone: undefined }, 'p', 's').spec?.initContainers?.map((c) => c.name),
    ).toEqual(['prepare']);
    // The image's own entrypoint runs, in the folder the init container made.
    expect(container?.command).toBeUndefined();
    expect(container?.workingDir).toBe('/workspaces/shop');
  });

  it('lets a dev8 pod prepare and clone as the workspace user, with nothing running as root', () => {
    const self = podManifest({ ...plan, prepare: 'self' }, 'p', 's');
    const main = self.spec?.containers[0];
    expect(self.spec?.initContainers).toEqual([]);
    expect(main?.securityContext).toMatchObject({ runAsUser: 1000, runAsNonRoot: true });
    expect(main?.command?.[2]).toContain(`exit ${NEEDS_ROOT_EXIT}`);
    expect(main?.command?.[2]).toContain('exec /usr/local/bin/devc-agent');
    expect(main?.command?.[4]).toContain('git -c credential.helper=');
    expect(main?.env).toContainEqual({ name: 'DEVC_CLONE_URL', value: 'https://git.example/acme/shop.git' });
    // The runtime would make a missing working directory as root: the pod starts in /workspaces.
    expect(main?.workingDir).toBe('/workspaces');
  });

  it("makes later pods without the first start's preparation and clone", () => {
    for (const prepare of ['self', 'root'] as const) {
      const later = restartManifest({ ...plan, prepare }, 'p', 's');
      expect(later.spec?.initContainers).toEqual([]);
      expect(later.spec?.containers[0]?.env?.map((e) => e.name)).not.toContain('DEVC_CLONE_URL');
    }
  });

  it('mounts the Secret at /etc/devc and the host key devc made into /etc/ssh', () => {
    const mounts = container?.volumeMounts?.map((m) => m.mountPath);
    expect(mounts).toEqual(
      expect.arrayContaining([
        '/etc/devc',
        '/home',
        '/workspaces',
        '/etc/ssh/ssh_host_ed25519_key',
        '/etc/ssh/.devc-host-key',
      ]),
    );
  });

  it('sizes the PVC from hostRequirements.storage, else 10Gi', () => {
    const meta = { name: 'devc-shop', namespace: 'devc', labels: {}, annotations: {} };
    expect(pvcManifest(meta, 2e9).spec?.resources?.requests?.storage).toBe('2000000000');
    expect(pvcManifest(meta, undefined).spec?.resources?.requests?.storage).toBe('10Gi');
  });
});

describe('pod state in the user words', () => {
  const withStatus = (status: k8s.V1PodStatus, deleting = false): k8s.V1Pod => ({
    metadata: deleting ? { deletionTimestamp: new Date() } : {},
    status,
  });

  it.each([
    [null, 'stopped'],
    [withStatus({ phase: 'Running' }), 'running'],
    [withStatus({ phase: 'Running' }, true), 'stopped'],
    [withStatus({ phase: 'Succeeded' }), 'stopped'],
    [withStatus({ phase: 'Pending' }), 'starting'],
    [
      withStatus({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'workspace',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } },
          },
        ],
      }),
      'failed',
    ],
    [
      withStatus({
        phase: 'Failed',
        initContainerStatuses: [
          {
            name: 'clone',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 128 } },
          },
        ],
      }),
      'exited',
    ],
  ])('%#: %s', (pod, state) => {
    expect(podState(pod).state).toBe(state);
  });

  it('names the failed container and its code', () => {
    const pod = withStatus({
      phase: 'Failed',
      initContainerStatuses: [
        {
          name: 'clone',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 128 } },
        },
      ],
    });
    expect(podState(pod).reason).toBe('clone exited with code 128');
  });
});

describe('small parsers', () => {
  it.each([
    ['500m', 0.5],
    ['4Gi', 4 * 2 ** 30],
    ['2G', 2e9],
    ['1000000', 1e6],
    ['x', Number.NaN],
  ])('quantity %s', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });

  it.each([
    [
      '127.0.0.1:5001/devc/dev8-base:0.1.0',
      { host: '127.0.0.1:5001', repository: 'devc/dev8-base', tag: '0.1.0' },
    ],
    ['registry.example/team/app', { host: 'registry.example', repository: 'team/app', tag: 'latest' }],
    ['devc/dev8-base:1', null],
  ])('image reference %s', (ref, parts) => {
    expect(splitReference(ref)).toEqual(parts);
  });

  it.each([
    ['alice@example.com', 'alice-example.com'],
    ['system:admin', 'system-admin'],
    ['--', 'unknown'],
  ])('label value of %s', (value, label) => {
    expect(labelValue(value)).toBe(label);
  });

  it('reads exit codes from the exec status', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(
      exitCodeOf({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '7' }] } }),
    ).toBe(7);
    expect(
      exitCodeOf({ status: 'Failure', message: 'exec: "nope": executable file not found in $PATH' }),
    ).toBe(127);
  });

  it('runs commands in a folder through sh, keeping their argv', () => {
    expect(inFolder(['echo', 'a b'], undefined)).toEqual(['echo', 'a b']);
    expect(inFolder(['echo', 'a b'], '/w')).toEqual([
      'sh',
      '-c',
      'cd "$1" 2>/dev/null; shift; exec "$@"',
      'devc-exec',
      '/w',
      'echo',
      'a b',
    ]);
  });
});
