import { describe, expect, it } from 'vitest';
import { addressesRoutable, runsInVm } from '../../src/backends/docker/engine-kind.js';
import { kind } from './support/engine-kind.js';
import { shortImageName } from '../../src/backends/docker/inspect.js';

describe('which engines route container addresses to this machine', () => {
  it('only a rootful engine on a local socket', () => {
    expect(addressesRoutable(kind({}))).toBe(true);
    expect(addressesRoutable(kind({ product: 'podman' }))).toBe(true);
    expect(addressesRoutable(kind({ rootless: true }))).toBe(false);
    expect(addressesRoutable(kind({ product: 'podman', rootless: true }))).toBe(false);
    expect(addressesRoutable(kind({ local: false }))).toBe(false);
  });

  it('not an engine in a VM (Docker Desktop, any engine on macOS or Windows): only its published ports reach here', () => {
    expect(addressesRoutable(kind({ vm: true }))).toBe(false);
    expect(runsInVm({ OperatingSystem: 'Docker Desktop' }, 'linux')).toBe(true);
    expect(runsInVm({ OperatingSystem: 'Debian GNU/Linux 12 (bookworm)' }, 'linux')).toBe(false);
    expect(runsInVm({ OperatingSystem: 'Ubuntu 24.04.1 LTS' }, 'darwin')).toBe(true);
    expect(runsInVm({}, 'win32')).toBe(true);
  });
});

describe('image names as Podman reports them', () => {
  it('reads localhost/ and docker.io/library/ names as the short name devc asked for', () => {
    expect(shortImageName('localhost/devc/dev8-base:0.1.0')).toBe('devc/dev8-base:0.1.0');
    expect(shortImageName('docker.io/library/vsc-api-123-uid:latest')).toBe('vsc-api-123-uid:latest');
    expect(shortImageName('devc/dev8-base:0.1.0')).toBe('devc/dev8-base:0.1.0');
    expect(shortImageName('registry.example:5000/team/img:1')).toBe('registry.example:5000/team/img:1');
  });
});
