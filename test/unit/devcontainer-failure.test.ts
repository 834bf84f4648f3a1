import { describe, expect, it } from 'vitest';
import { failureCause } from '../../src/devcontainer/failure.js';

const pull = 'Command failed: docker pull 127.0.0.1:5999/acme/app:1.0';

describe('failureCause', () => {
  it.each([
    [
      'a registry that has no such tag',
      pull,
      [
        'Error fetching image details: write EPROTO 801C643E:error:0A00010B:SSL routines:wrong version number',
        'Error response from daemon: manifest for 127.0.0.1:5999/acme/app:1.0 not found: manifest unknown: manifest unknown',
      ],
      'the registry at 127.0.0.1:5999 has no image acme/app:1.0',
    ],
    [
      'Docker Hub without the repository',
      'Command failed: docker pull acme/nosuch:2',
      [
        "Error response from daemon: pull access denied for acme/nosuch, repository does not exist or may require 'docker login': denied",
      ],
      'Docker Hub has no image acme/nosuch',
    ],
    [
      'a registry nobody listens on',
      pull,
      [
        'Error fetching image details: connect ECONNREFUSED 127.0.0.1:5998',
        'Error response from daemon: Get "http://127.0.0.1:5998/v2/": dial tcp 127.0.0.1:5998: connect: connection refused',
      ],
      "can't reach 127.0.0.1:5998",
    ],
    [
      'a registry name that does not resolve',
      'Command failed: docker pull registry.invalid/x:1',
      [
        'Error response from daemon: Get "https://registry.invalid/v2/": dial tcp: lookup registry.invalid on 10.0.0.1:53: no such host',
      ],
      "can't reach registry.invalid",
    ],
    [
      'a Feature from an unreachable registry',
      'Failed to fetch feature',
      ['getaddrinfo ENOTFOUND ghcr.io'],
      "can't reach ghcr.io",
    ],
    [
      'a failed RUN, offline (the CLI could not fetch its control manifest: not the cause)',
      'Command failed: docker build -f /tmp/devcontainercli-root/Dockerfile-with-features -t vsc-x .',
      [
        'Failed to fetch control manifest: getaddrinfo ENOTFOUND containers.dev',
        'Step 3/4 : RUN echo building && exit 7',
        "The command '/bin/sh -c echo building && exit 7' returned a non-zero code: 7",
      ],
      '`echo building && exit 7` exited with code 7',
    ],
    [
      'a failed RUN under BuildKit',
      'Command failed: docker buildx build …',
      ['ERROR: process "/bin/sh -c make all" did not complete successfully: exit code: 2'],
      '`make all` exited with code 2',
    ],
    [
      'a remoteUser the image lacks',
      'An error occurred setting up the container.',
      ['unable to find user nosuchuser: no matching entries in passwd file'],
      'the image has no user nosuchuser (remoteUser or containerUser in devcontainer.json)',
    ],
    ['anything else: the first line of the message', 'Something odd\nmore', [], 'Something odd'],
  ])('%s', (_, message, tail, cause) => expect(failureCause(message, tail).cause).toBe(cause));

  it('keeps a long message to one short line', () => {
    expect(failureCause('x'.repeat(300), []).cause).toHaveLength(140);
  });

  it('gives a next step for what it recognises', () => {
    expect(failureCause(pull, ['manifest for 127.0.0.1:5999/acme/app:1.0 not found']).advice).toMatch(
      /image name and tag/,
    );
    expect(failureCause('odd', []).advice).toBeUndefined();
  });
});
