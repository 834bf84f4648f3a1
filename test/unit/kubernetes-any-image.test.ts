import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hookScript, hookSteps, waitForOf } from '../../src/devcontainer/lifecycle-hooks.js';
import { stepScript } from '../../src/backends/kubernetes/hooks.js';
import { mergedKeys } from '../../src/backends/kubernetes/devcontainer.js';
import { SOURCE_SECRETS } from '../../src/devcontainer/secret-hooks.js';
import { mergeImagePlan } from '../../src/backends/kubernetes/image-config.js';
import { podManifest, restartManifest, type PodPlan } from '../../src/backends/kubernetes/objects.js';
import { resolveUser } from '../../src/backends/kubernetes/registry-image.js';

const run = promisify(execFile);
const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\nnode:x:1500:1600::/home/node:/bin/bash\napp:x:1000:1000::/srv/app:/bin/sh\n';

describe('the user of an image', () => {
  it.each([
    ['node', { name: 'node', uid: 1500, gid: 1600, home: '/home/node' }],
    ['1500', { name: 'node', uid: 1500, gid: 1600, home: '/home/node' }],
    ['node:42', { name: 'node', uid: 1500, gid: 42, home: '/home/node' }],
    ['root', { name: 'root', uid: 0, gid: 0, home: '/root' }],
    ['2000', { name: '2000', uid: 2000, gid: 2000, home: '/' }],
  ])('%s resolves through /etc/passwd', (user, expected) => {
    expect(resolveUser(user, PASSWD)).toEqual(expected);
  });

  it('is unknown when named but not in the image', () => {
    expect(resolveUser('vscode', PASSWD)).toBeUndefined();
  });
});

describe('merging the image metadata with devcontainer.json', () => {
  const facts = (user: string, metadata?: unknown[]) => ({
    user,
    labels: (metadata ? { 'devcontainer.metadata': JSON.stringify(metadata) } : {}) as Record<string, string>,
    passwd: () => Promise.resolve(PASSWD),
  });

  it('runs as remoteUser, the last one that names it (the config over the label)', async () => {
    const plan = await mergeImagePlan(facts('', [{ remoteUser: 'app' }]), { remoteUser: 'node' });
    expect(plan.user.name).toBe('node');
  });

  it('runs as root when the config says so, whatever the label', async () => {
    const plan = await mergeImagePlan(facts('node', [{ remoteUser: 'node' }]), { remoteUser: 'root' });
    expect(plan.user).toEqual({ name: 'root', uid: 0, gid: 0, home: '/root' });
  });

  it("runs as the image's default user when nothing names one, root when the image names none", async () => {
    expect((await mergeImagePlan(facts('app'), {})).user).toMatchObject({ uid: 1000, home: '/srv/app' });
    expect((await mergeImagePlan(facts(''), {})).user.uid).toBe(0);
  });

  it('takes containerUser when there is no remoteUser, and merges the environments key by key', async () => {
    const plan = await mergeImagePlan(
      facts('', [
        { containerUser: 'node', containerEnv: { A: 'image', B: 'image' }, remoteEnv: { R: 'image' } },
      ]),
      { containerEnv: { B: 'config' }, remoteEnv: { S: 'config' } },
    );
    expect(plan.user.name).toBe('node');
    expect(plan.containerEnv).toEqual({ A: 'image', B: 'config' });
    expect(plan.remoteEnv).toEqual({ R: 'image', S: 'config' });
  });

  it('refuses a user the image lacks, naming it', async () => {
    await expect(mergeImagePlan(facts(''), { remoteUser: 'vscode' })).rejects.toThrow(/has no user vscode/);
  });
});

describe('which hooks run when', () => {
  const entries = [
    { postCreateCommand: 'from-image', postStartCommand: 'image-start' },
    { onCreateCommand: ['a', 'b'], postCreateCommand: 'from-config', postAttachCommand: 'attach' },
  ];

  it("runs every entry's hooks in order, the create ones once per workspace and postStart each start", () => {
    expect(hookSteps(entries, 'create').map((s) => [s.hook, s.command, s.wait])).toEqual([
      ['onCreateCommand', ['a', 'b'], true],
      ['postCreateCommand', 'from-image', false],
      ['postCreateCommand', 'from-config', false],
      ['postStartCommand', 'image-start', false],
    ]);
    expect(hookSteps(entries, 'start').map((s) => s.command)).toEqual(['image-start']);
    expect(hookSteps(entries, 'attach').map((s) => s.command)).toEqual(['attach']);
  });

  it('waits for the waitFor hook (the last entry that names one; updateContentCommand by default)', () => {
    expect(waitForOf(entries)).toBe('updateContentCommand');
    const waited = hookSteps([...entries, { waitFor: 'postStartCommand' }], 'create');
    expect(waited.every((s) => s.wait)).toBe(true);
  });

  it.each([
    ['a string through sh', 'echo one; echo two', 'one\ntwo\n', 0],
    ['an array as it is (no shell)', ['echo', '$HOME;'], '$HOME;\n', 0],
    ['an array that fails', ['sh', '-c', 'exit 4'], '', 4],
  ])('runs %s', async (_what, command, out, code) => {
    const result = await run('sh', ['-c', hookScript(command)]).then(
      (r) => ({ stdout: r.stdout, code: 0 }),
      (e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }),
    );
    expect(result).toEqual({ stdout: out, code });
  });

  it('runs an object form in parallel, failing when any of its commands fails', async () => {
    const started = Date.now();
    const ok = await run('sh', [
      '-c',
      hookScript({ a: 'sleep 0.4; echo a', b: ['sh', '-c', 'sleep 0.4; echo b'] }),
    ]);
    expect(ok.stdout.split('\n').sort().join('')).toBe('ab');
    expect(Date.now() - started).toBeLessThan(750);
    await expect(run('sh', ['-c', hookScript({ a: 'true', b: 'exit 5' })])).rejects.toMatchObject({
      code: 5,
    });
  });

  it('marks a create hook done on the volume and skips it next time; a start hook never', () => {
    const [create] = hookSteps([{ postCreateCommand: 'x' }], 'create');
    const [start] = hookSteps([{ postStartCommand: 'y' }], 'start');
    if (!create || !start) throw new Error('no steps');
    const once = stepScript(create, 0, '/workspaces/app', { GREETING: "it's" });
    expect(once).toContain('[ -e /workspaces/.devc-lifecycle/postCreateCommand-0 ] && exit 0');
    expect(once).toContain(': > /workspaces/.devc-lifecycle/postCreateCommand-0');
    expect(once).toContain(`export GREETING='it'\\''s'`);
    expect(stepScript(start, 0, '/workspaces/app', {})).not.toContain('.devc-lifecycle');
  });

  it("runs each hook with the workspace's secrets, read from the agent's file after remoteEnv", () => {
    const [step] = hookSteps([{ postCreateCommand: 'use-it' }], 'create');
    if (!step) throw new Error('no step');
    const lines = stepScript(step, 0, '/workspaces/app', { A: '1' }).split('\n');
    const source = lines.indexOf(SOURCE_SECRETS);
    expect(source).toBeGreaterThan(lines.indexOf("export A='1'"));
    expect(source).toBeLessThan(lines.findIndex((l) => l.includes('use-it')));
  });

  it("takes a built image's hooks from its label only (the CLI wrote the config's there)", () => {
    const config = { postCreateCommand: 'x', remoteUser: 'app', containerEnv: { A: '1' }, name: 'n' };
    expect(mergedKeys(config, false)).toEqual({
      postCreateCommand: 'x',
      remoteUser: 'app',
      containerEnv: { A: '1' },
    });
    expect(mergedKeys(config, true)).toEqual({ remoteUser: 'app', containerEnv: { A: '1' } });
  });
});

describe('the pod of any image', () => {
  const plan: PodPlan = {
    name: 'devc-app',
    namespace: 'devc',
    labels: {},
    annotations: {},
    workspace: 'app',
    image: 'reg:5000/acme/node:1',
    toolsImage: 'reg:5000/acme/node:1',
    folder: '/workspaces/app',
    home: '/home/node',
    env: {},
    clone: { url: 'https://git.example/acme/app.git', branch: undefined },
    cpus: undefined,
    memoryBytes: undefined,
    prepare: 'self',
    uid: 1500,
    gid: 1600,
    anyImage: { agentImage: 'reg:5000/devc/devc-agent:1', agentVersion: '1', seedHome: true },
  };

  it('has no init container: the agent and the home are prepared beside the workspace, as its user', () => {
    const pod = podManifest(plan, 'p', 's');
    expect(pod.spec?.initContainers).toEqual([]);
    expect(pod.spec?.containers.map((c) => [c.name, c.image])).toEqual([
      ['workspace', plan.image],
      ['agent', 'reg:5000/devc/devc-agent:1'],
      ['home', plan.image],
    ]);
    for (const c of pod.spec?.containers ?? [])
      expect(c.securityContext).toMatchObject({ runAsUser: 1500, runAsGroup: 1600, runAsNonRoot: true });
    expect(pod.spec?.securityContext).toEqual({ fsGroup: 1600 });
    const workspace = pod.spec?.containers[0];
    expect(workspace?.volumeMounts).toContainEqual({
      name: 'data',
      mountPath: '/opt/devc',
      subPath: 'devc-agent',
      readOnly: true,
    });
    expect(workspace?.env).toContainEqual({ name: 'DEVC_AGENT_INJECTED', value: '1' });
    // The clone runs in the agent container (the agent image has git; the user's image may not).
    expect(pod.spec?.containers[1]?.env).toContainEqual({ name: 'DEVC_CLONE_URL', value: plan.clone?.url });
  });

  it('runs as root only when the plan says so', () => {
    const root = podManifest(
      { ...plan, uid: 0, gid: 0, home: '/root', anyImage: { ...plan.anyImage!, seedHome: false } },
      'p',
      's',
    );
    for (const c of root.spec?.containers ?? [])
      expect(c.securityContext).toMatchObject({ runAsUser: 0, runAsNonRoot: false });
    // sshd as root refuses a host key its group may read: no fsGroup, the Secret's files 0400.
    expect(root.spec?.securityContext).toEqual({});
    expect(root.spec?.volumes?.find((v) => v.secret)?.secret?.defaultMode).toBe(0o400);
  });

  it('restarts without the clone; on storage that ignores fsGroup root only hands the folders to the uid', () => {
    const restart = restartManifest(plan, 'p', 's');
    expect(restart.spec?.containers[1]?.env?.map((e) => e.name)).not.toContain('DEVC_CLONE_URL');
    const rooted = podManifest({ ...plan, prepare: 'root' }, 'p', 's');
    const prepare = rooted.spec?.initContainers?.[0];
    expect(prepare?.name).toBe('prepare');
    expect(prepare?.env).toContainEqual({ name: 'DEVC_UID', value: '1500' });
    expect(prepare?.securityContext?.capabilities?.add).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER']);
  });
});
