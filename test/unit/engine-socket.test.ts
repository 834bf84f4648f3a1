import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineSocket } from '../../src/backends/docker/api.js';

const emptyConfig = mkdtempSync(path.join(os.tmpdir(), 'devc-docker-config-'));

describe('engineSocket: when devc may ask the Engine API directly', () => {
  it('uses the default socket, or a unix DOCKER_HOST', () => {
    expect(engineSocket({ DOCKER_CONFIG: emptyConfig })).toBe('/var/run/docker.sock');
    expect(
      engineSocket({ DOCKER_CONFIG: emptyConfig, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }),
    ).toBe('/run/user/1000/docker.sock');
  });

  it('leaves TCP and SSH hosts and docker contexts to the docker CLI', () => {
    expect(engineSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
    expect(engineSocket({ DOCKER_HOST: 'ssh://me@build-box' })).toBeUndefined();
    expect(engineSocket({ DOCKER_CONTEXT: 'colima' })).toBeUndefined();
    const withContext = mkdtempSync(path.join(os.tmpdir(), 'devc-docker-config-'));
    writeFileSync(path.join(withContext, 'config.json'), JSON.stringify({ currentContext: 'desktop-linux' }));
    expect(engineSocket({ DOCKER_CONFIG: withContext })).toBeUndefined();
    writeFileSync(path.join(withContext, 'config.json'), JSON.stringify({ currentContext: 'default' }));
    expect(engineSocket({ DOCKER_CONFIG: withContext })).toBe('/var/run/docker.sock');
  });
});
