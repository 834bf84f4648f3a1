import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { createBackend, type BackendOptions } from '../../src/backends/factory.js';
import { loadTarget } from '../../src/backends/kubernetes/client.js';
import { createContext, withBackendOptions } from '../../src/context.js';
import { EngineError } from '../../src/errors.js';
import { forwarderEnv, routeRequest } from '../../src/services/forwarder.js';
import type { BackendKind } from '../../src/workspace/model.js';
import { testIO } from './support/io.js';

/** A context whose factory makes real (lazy, unconnected) backends and records what it was asked. */
function recorded(env: NodeJS.ProcessEnv = {}) {
  const calls: [BackendKind, BackendOptions][] = [];
  const ctx = createContext({
    io: testIO().io,
    env,
    backendFactory: (kind, e, options) => {
      calls.push([kind, options]);
      return createBackend(kind, e, options);
    },
  });
  return { ctx, calls };
}

describe('backend options in the Context', () => {
  it('passes them to the factory and makes one backend per kind and options', async () => {
    const { ctx, calls } = recorded();
    const plain = await ctx.backend('kubernetes');
    expect(await ctx.backend('kubernetes')).toBe(plain);
    const team = await ctx.backend('kubernetes', { namespace: 'team-a' });
    expect(team).not.toBe(plain);
    expect(await ctx.backend('kubernetes', { namespace: 'team-a' })).toBe(team);
    expect(calls).toEqual([
      ['kubernetes', {}],
      ['kubernetes', { namespace: 'team-a' }],
    ]);
  });

  it("withBackendOptions: the call's backends and every backend listed use its options", async () => {
    const { ctx, calls } = recorded({ DEVC_BACKEND: 'kubernetes' });
    const call = withBackendOptions(ctx, { context: 'c', namespace: 'n' });
    expect(call.backendOptions).toEqual({ context: 'c', namespace: 'n' });
    expect(ctx.backendOptions).toEqual({});
    await call.backend();
    await call.backends();
    expect(calls).toEqual([
      ['kubernetes', { context: 'c', namespace: 'n' }],
      ['docker', { context: 'c', namespace: 'n' }],
    ]);
  });

  it('up --context and --namespace leave the environment alone', async () => {
    const env: NodeJS.ProcessEnv = { DEVC_HOME: '/nonexistent/devc-unit' };
    const t = testIO();
    // A bad reference fails after the options are read, before any engine is reached.
    const code = await main(['up', '--context', 'c', '--namespace', 'n', 'not a ref!'], { io: t.io, env });
    expect(code).toBe(2);
    expect(env).toEqual({ DEVC_HOME: '/nonexistent/devc-unit' });
  });

  it('the forwarder service gets no tokens and no per-call backend variables in its environment', () => {
    const env = {
      DEVC_KUBE_CONTEXT: 'old',
      DEVC_NAMESPACE: 'old',
      KUBECONFIG: '/k',
      GITHUB_TOKEN: 't',
      GH_TOKEN: 't',
      X: '1',
    };
    expect(forwarderEnv(env)).toEqual({ X: '1' });
    expect(env.GITHUB_TOKEN).toBe('t');
  });

  it.each([
    ['docker', {}, {}, { backend: 'docker' }],
    ['kubernetes', {}, {}, { backend: 'kubernetes' }],
    [
      'kubernetes',
      { DEVC_KUBE_CONTEXT: 'env-ctx', DEVC_NAMESPACE: 'env-ns', KUBECONFIG: 'rel/kube' },
      {},
      { backend: 'kubernetes', context: 'env-ctx', namespace: 'env-ns', kubeconfig: '/w/rel/kube' },
    ],
    [
      'kubernetes',
      { DEVC_KUBE_CONTEXT: 'env-ctx', DEVC_NAMESPACE: 'env-ns' },
      { context: 'c', namespace: 'n' },
      { backend: 'kubernetes', context: 'c', namespace: 'n' },
    ],
  ] as const)("a %s workspace's route carries the call's options (%j, %j)", (kind, env, options, route) => {
    const ctx = withBackendOptions(createContext({ io: testIO().io, env, cwd: '/w' }), options);
    expect(routeRequest(ctx, kind)).toEqual(route);
  });
});

describe('which cluster and namespace: the option, else its variable, else the kubeconfig', () => {
  const kubeconfig = `apiVersion: v1
kind: Config
current-context: a
clusters:
  - name: k
    cluster: { server: 'https://127.0.0.1:1' }
users:
  - name: u
    user: { token: t }
contexts:
  - name: a
    context: { cluster: k, user: u, namespace: ns-a }
  - name: b
    context: { cluster: k, user: u }
`;
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    [{}, {}, 'a', 'ns-a', false],
    [{}, { DEVC_KUBE_CONTEXT: 'b' }, 'b', 'devc', false],
    [{ context: 'b' }, { DEVC_KUBE_CONTEXT: 'a' }, 'b', 'devc', false],
    [{}, { DEVC_NAMESPACE: 'x' }, 'a', 'x', true],
    [{ namespace: 'y' }, { DEVC_NAMESPACE: 'x' }, 'a', 'y', true],
    [{ context: 'b', namespace: 'y' }, {}, 'b', 'y', true],
  ] as const)(
    'options %j, variables %j: context %s, namespace %s',
    async (options, vars, context, namespace, named) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-kubeconfig-'));
      const file = path.join(dir, 'config');
      await writeFile(file, kubeconfig);
      // The client library reads KUBECONFIG from the process itself.
      vi.stubEnv('KUBECONFIG', file);
      const target = await loadTarget({ KUBECONFIG: file, ...vars }, options);
      expect([target.context, target.namespace, target.namespaceNamed]).toEqual([context, namespace, named]);
    },
  );

  it('names the contexts there are when the chosen one is not', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-kubeconfig-'));
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig);
    vi.stubEnv('KUBECONFIG', file);
    const failure = loadTarget({ KUBECONFIG: file, DEVC_KUBE_CONTEXT: 'a' }, { context: 'zz' });
    await expect(failure).rejects.toBeInstanceOf(EngineError);
    await expect(failure).rejects.toThrow('The kubeconfig has no context named zz.');
  });
});
