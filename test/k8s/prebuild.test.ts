// A prebuild on Kubernetes: `devc prebuild --push` (its registry from the config's
// customizations.devc.prebuildRegistry, no DEVC_REGISTRY anywhere), then `up --backend kubernetes`
// runs that tag without building, and says so in its JSON.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix } from '../e2e/support/devc.js';
import { createNamespace, deleteNamespace } from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

const { registry } = clusterEnv(); // fails the file (never skips) without the cluster's environment
const prefix = uniquePrefix('kpb');
const namespace = `${prefix}-ws`;
let work: string;
let image = '';

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  await createNamespace(namespace);
});

afterAll(async () => {
  await deleteNamespace(namespace);
  if (image) await execa('docker', ['rmi', '-f', image], { reject: false });
  await rm(work, { recursive: true, force: true });
});

it("the config's prebuildRegistry: prebuild pushes there, and up on the cluster runs it unbuilt", async () => {
  const source = path.join(work, `${prefix}-app`);
  await mkdir(path.join(source, '.devcontainer'), { recursive: true });
  await writeFile(
    path.join(source, '.devcontainer/devcontainer.json'),
    JSON.stringify({
      build: { dockerfile: 'Dockerfile' },
      customizations: { devc: { prebuildRegistry: registry } },
    }),
  );
  await writeFile(
    path.join(source, '.devcontainer/Dockerfile'),
    `FROM ${registry}/devc/dev8-base:0.1.0\nRUN echo prebuilt > /etc/prebuilt\n`,
  );
  const env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_IDLE_TIMEOUT: '0' });
  delete env.DEVC_REGISTRY;
  const pre = await devc(['prebuild', source, '--push', '--json'], env);
  expect(pre.exitCode, pre.stderr).toBe(0);
  const built = json(pre);
  image = String(built.image);
  expect(built).toMatchObject({ outcome: 'success', pushed: true, cached: false });
  expect(image).toBe(`${registry}/local/${prefix}-app:${String(built.hash)}`);
  // Like another machine: nothing of it on this engine.
  await execa('docker', ['rmi', image]);
  const up = await devc(['up', source, '--backend', 'kubernetes', '--json'], env);
  expect(up.exitCode, up.stderr).toBe(0);
  expect(json(up)).toMatchObject({ outcome: 'success', image, imageSource: 'prebuild' });
  const log = await devc(['logs', '--build', '-w', `${prefix}-app`], env);
  expect(log.stdout.split('\n')[0]).toBe(`devc: ${image} is in the registry: not built.`);
  const inside = await devc(['exec', '-w', `${prefix}-app`, '--', 'cat', '/etc/prebuilt'], env);
  expect(inside.stdout).toBe('prebuilt\n');
  const view = json(await devc(['view', '-w', `${prefix}-app`, '--json'], env));
  expect(view).toMatchObject({ imageSource: 'prebuild' });
  expect((await devc(['delete', '-w', `${prefix}-app`, '--force'], env)).exitCode).toBe(0);
});
