import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineSocket } from '../../src/backends/docker/api.js';

const emptyConfig = mkdtempSync(path.join(os.tmpdir(), 'devc-docker-config-'));

/** A docker config folder holding these contexts, as `docker context create` writes them. */
function withContexts(hosts: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devc-docker-config-'));
  for (const [name, host] of Object.entries(hosts)) {
    const meta = path.join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(
      path.join(meta, 'meta.json'),
      JSON.stringify({
        Name: name,
        Metadata: {},
        Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
      }),
    );
  }
  return dir;
}

describe('engineSocket: when devc may ask the Engine API directly', () => {
  it('uses the default socket, or a unix DOCKER_HOST', () => {
    expect(engineSocket({ DOCKER_CONFIG: emptyConfig })).toBe('/var/run/docker.sock');
    expect(
      engineSocket({ DOCKER_CONFIG: emptyConfig, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }),
    ).toBe('/run/user/1000/docker.sock');
  });

  it('leaves TCP and SSH hosts, and contexts that name them, to the docker CLI', () => {
    expect(engineSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
    expect(engineSocket({ DOCKER_HOST: 'ssh://me@build-box' })).toBeUndefined();
    expect(engineSocket({ DOCKER_CONFIG: emptyConfig, DOCKER_CONTEXT: 'colima' })).toBeUndefined();
    const config = withContexts({ remote: 'ssh://me@build-box' });
    expect(engineSocket({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'remote' })).toBeUndefined();
  });

  it("uses a docker context's unix socket (Docker Desktop, Colima, OrbStack), as the docker CLI does", () => {
    const config = withContexts({ 'desktop-linux': 'unix:///Users/me/.docker/run/docker.sock' });
    expect(engineSocket({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'desktop-linux' })).toBe(
      '/Users/me/.docker/run/docker.sock',
    );
    writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: 'desktop-linux' }));
    expect(engineSocket({ DOCKER_CONFIG: config })).toBe('/Users/me/.docker/run/docker.sock');
    // DOCKER_HOST comes first, then DOCKER_CONTEXT, then the context in use.
    expect(engineSocket({ DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///run/other.sock' })).toBe(
      '/run/other.sock',
    );
    writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: 'default' }));
    expect(engineSocket({ DOCKER_CONFIG: config })).toBe('/var/run/docker.sock');
  });
});
