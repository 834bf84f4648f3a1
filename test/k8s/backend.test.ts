// The Kubernetes backend end to end: the built bin/devc with --backend kubernetes against the real test
// cluster (test/cluster/cluster.sh up), a git fixture on the node IP (so the in-cluster clone reaches
// it), and the API server checked directly. Each run uses its own namespaces and deletes them.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { browserGet } from '../e2e/support/browser.js';
import {
  bin,
  devc,
  devcEnv,
  devcProcess,
  json,
  loginLink,
  uniquePrefix,
  removeHome,
} from '../e2e/support/devc.js';
import { startGitServer, type GitServer } from '../e2e/support/git-server.js';
import {
  api,
  createNamespace,
  deleteNamespace,
  devcObjects,
  READ_ONLY,
  restrictedKubeconfig,
} from './support/backend-env.js';
import { clusterEnv } from './support/cluster.js';

const { registry } = clusterEnv(); // fails the file (never skips) without the cluster's environment
const nodeIp = process.env.DEVC_NODE_IP ?? '10.213.0.1';
const image = `${registry}/devc/dev8-base:0.1.0`;
const prefix = uniquePrefix('kb');
const namespace = `${prefix}-ws`;
const restricted = `${prefix}-ro`;

let git: GitServer;
let env: NodeJS.ProcessEnv;
let repoUrl: string;
let configRepoUrl: string;

/** Waits until something accepts TCP connections on host:port (the fixture must answer pods). */
async function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

beforeAll(async () => {
  git = await startGitServer(nodeIp);
  expect(await answers(nodeIp, Number(new URL(git.baseUrl).port))).toBe(true);
  repoUrl = await git.createRepo(`acme/${prefix}-app`, {
    'README.md': '# app\n',
    'hello.sh': 'echo hello\n',
  });
  configRepoUrl = await git.createRepo(`acme/${prefix}-sized`, {
    'README.md': '# sized\n',
    '.devcontainer/devcontainer.json': JSON.stringify({
      name: 'sized',
      image,
      remoteUser: 'dev',
      containerEnv: { DEVC_TEST_GREETING: 'hello-from-config' },
      hostRequirements: { cpus: 1, memory: '1gb', storage: '2gb' },
      forwardPorts: [3001],
      portsAttributes: { '3001': { label: 'Sized app' } },
    }),
  });
  await createNamespace(namespace);
  await createNamespace(restricted);
  env = await devcEnv({ DEVC_NAMESPACE: namespace, DEVC_IDLE_TIMEOUT: '0' });
});

afterAll(async () => {
  await deleteNamespace(namespace);
  await deleteNamespace(restricted);
  await git?.close();
  await removeHome(env?.DEVC_HOME);
});

const k8s = (args: string[], extra: NodeJS.ProcessEnv = {}) => devc([...args], { ...env, ...extra });

/** A shell command starting an HTTP server on the pod's 127.0.0.1:PORT that answers `text`. */
const serveOn = (port: number, text: string): string =>
  `setsid /opt/devc/node/bin/node -e "require('http').createServer((q, s) => s.end('${text}')).listen(${port}, '127.0.0.1')" >/dev/null 2>&1 < /dev/null & sleep 1`;

/** code-server's workbench page, as opposed to its login page. */
const isWorkbench = (html: string): boolean =>
  html.includes('vscode-workbench-web-configuration') && !html.includes('code-server login');

describe('a workspace from a remote repository', () => {
  const name = `${prefix}-app`;

  it('comes up running, cloned inside the cluster, with every object labelled', async () => {
    const up = await k8s(['up', repoUrl, '--backend', 'kubernetes', '--name', name, '--json']);
    const result = json<{
      outcome: string;
      backend: string;
      state: string;
      image: string;
      repository: { commit: string };
    }>(up);
    expect(result, up.stderr).toMatchObject({
      outcome: 'success',
      backend: 'kubernetes',
      state: 'running',
      image,
      // No URL that would die with `up` (its port-forward): `devc code --web` is the way in.
      codeServer: { url: null },
    });
    expect(result.repository.commit).toMatch(/^[0-9a-f]{40}$/);
    expect((await devcObjects(namespace, name)).sort()).toEqual(
      [`networkpolicy/devc-${name}`, `pod/devc-${name}`, `pvc/devc-${name}`, `secret/devc-${name}`].sort(),
    );
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    const container = pod.spec?.containers[0];
    expect(container?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    // A dev8 pod prepares its volume and clones as the workspace user: nothing runs as root.
    expect(pod.spec?.initContainers ?? []).toEqual([]);
    // Secrets go through the mounted Secret, never the pod spec's environment.
    expect(JSON.stringify(container?.env)).not.toMatch(/ssh-ed25519|PRIVATE KEY/);
    const policy = await api().net.readNamespacedNetworkPolicy({ name: `devc-${name}`, namespace });
    // Ingress as a policy type with no rules (the API drops the empty list): nothing may connect.
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    expect(policy.spec?.ingress ?? []).toEqual([]);
    expect(policy.spec?.podSelector?.matchLabels).toEqual({ 'dev.devc.workspace': name });
  });

  it('runs commands over SSH and exec, passing exit codes through', async () => {
    const ssh = await k8s([
      'ssh',
      '-w',
      name,
      '--',
      'sh',
      '-c',
      'echo "$(id -un) $(pwd)"; cat README.md; exit 7',
    ]);
    expect(ssh.exitCode, ssh.stderr).toBe(7);
    expect(ssh.stdout).toContain(`dev /workspaces/${prefix}-app`);
    expect(ssh.stdout).toContain('# app');
    const exec = await k8s(['exec', '-w', name, '--', 'sh', '-c', 'git log --format=%s -1; id -u; exit 3']);
    expect(exec.exitCode, exec.stderr).toBe(3);
    expect(exec.stdout).toBe('initial\n1000\n');
  });

  it('serves `ssh --stdio` as a ProxyCommand (what `devc config-ssh` sets up)', async () => {
    const home = env.DEVC_HOME ?? '';
    const ssh = await execa(
      'ssh',
      [
        '-F',
        'none',
        '-o',
        `ProxyCommand=${bin} ssh --stdio %h`,
        '-o',
        `UserKnownHostsFile=${path.join(home, 'ssh', 'known_hosts')}`,
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-i',
        path.join(home, 'ssh', 'id_ed25519'),
        `dev@${name}.devc`,
        'hostname; exit 4',
      ],
      { env, extendEnv: false, reject: false, stdin: 'ignore' },
    );
    expect(ssh.exitCode, ssh.stderr).toBe(4);
    expect(ssh.stdout).toBe(name); // execa strips the final newline
  });

  it('shows the agent log', async () => {
    const logs = await k8s(['logs', '-w', name]);
    expect(logs.exitCode, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('devc-agent: ready');
  });

  it('copies files both ways', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-k8s-cp-'));
    try {
      await writeFile(path.join(dir, 'up.txt'), 'uploaded\n');
      const upload = await k8s(['cp', path.join(dir, 'up.txt'), `${name}:notes/up.txt`]);
      expect(upload.exitCode, upload.stderr).toBe(0);
      const check = await k8s(['exec', '-w', name, '--', 'cat', 'notes/up.txt']);
      expect(check.stdout).toBe('uploaded\n');
      // The clone lives only in the PVC: `delete` asks git in the pod what it would lose, and refuses.
      const refused = await k8s(['delete', '-w', name]);
      expect(refused.exitCode, refused.stderr).toBe(1);
      expect(refused.stderr).toContain('uncommitted: notes/up.txt');
      expect(await devcObjects(namespace, name)).toContain(`pvc/devc-${name}`);
      const download = await k8s(['cp', `${name}:hello.sh`, path.join(dir, 'hello.sh')]);
      expect(download.exitCode, download.stderr).toBe(0);
      expect(await readFile(path.join(dir, 'hello.sh'), 'utf8')).toBe('echo hello\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("forwards an HTTP port with `devc ports forward` (a server on the pod's loopback only)", async () => {
    // Bound to 127.0.0.1 in the pod: only the API server's port-forward reaches it, not the pod's address.
    const started = await k8s(['exec', '-w', name, '--', 'sh', '-c', serveOn(3000, 'hi from the pod')]);
    expect(started.exitCode, started.stderr).toBe(0);
    const forward = await k8s(['ports', 'forward', '3000', '-w', name, '--json']);
    expect(forward.exitCode, forward.stderr).toBe(0);
    const [port] = json<{ remote: number; local: number; url: string }[]>(forward);
    expect(port).toMatchObject({ remote: 3000 });
    expect(port?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(await (await fetch(port?.url ?? '')).text()).toBe('hi from the pod');
    const listed = json<{ remote: number; state: string }[]>(await k8s(['ports', '-w', name, '--json']));
    expect(listed).toContainEqual(expect.objectContaining({ remote: 3000, state: 'forwarded' }));
  });

  it('`code --web` logs in to the code-server workbench; without the secret it is the login page', async () => {
    const child = devcProcess(['code', '--web', '--no-open', '-w', name], env);
    const link = await loginLink(child);
    // The workspace's own host name (a *.localhost name): browserGet reaches it as a browser would.
    const login = await browserGet(link);
    expect(login.status).toBe(302);
    const cookie = (login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    expect(cookie).toMatch(/code-server-session[\w-]*=/);
    const workbench = login.headers.location ?? '';
    expect(workbench).toMatch(/^http:\/\/[\w-]+\.devc\.localhost:\d+\/\?folder=%2Fworkspaces%2F/);
    const page = await browserGet(workbench, { cookie });
    expect(page.status).toBe(200);
    expect(isWorkbench(page.body)).toBe(true);
    const anonymous = await browserGet(workbench);
    expect(anonymous.headers.location).toContain('login');
    expect((await browserGet(new URL(anonymous.headers.location!, workbench).href)).body).toContain(
      'code-server login',
    );
    const run = await child;
    expect(run.exitCode, String(run.stderr)).toBe(0);
  });

  it('keeps files in home across stop and up (the pod goes, the PVC stays)', async () => {
    const write = await k8s(['exec', '-w', name, '--', 'sh', '-c', 'echo kept > "$HOME/kept.txt"']);
    expect(write.exitCode, write.stderr).toBe(0);
    const stop = await k8s(['stop', '-w', name]);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect((await devcObjects(namespace, name)).sort()).toEqual(
      [`networkpolicy/devc-${name}`, `pvc/devc-${name}`, `secret/devc-${name}`].sort(),
    );
    const listed = json<{ name: string; state: string; backend: string }[]>(await k8s(['list', '--json']));
    expect(listed.find((w) => w.name === name)).toMatchObject({ state: 'stopped', backend: 'kubernetes' });
    const up = await k8s(['up', repoUrl, '--backend', 'kubernetes', '--json']);
    expect(json(up), up.stderr).toMatchObject({ name, state: 'running' });
    const read = await k8s(['ssh', '-w', name, '--', 'sh', '-c', 'cat "$HOME/kept.txt"']);
    expect(read.stdout).toBe('kept\n');
  });

  it('comes back after the agent ends the pod (idle stop)', async () => {
    // What an idle stop does: the agent exits 0, the pod ends (restartPolicy Never), the PVC stays.
    await k8s(['exec', '-w', name, '--', 'sh', '-c', 'kill -TERM 1']);
    const deadline = Date.now() + 60_000;
    let state = '';
    while (Date.now() < deadline) {
      const list = json<{ name: string; state: string }[]>(await k8s(['list', '--json']));
      state = list.find((w) => w.name === name)?.state ?? '';
      if (state === 'stopped') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(state).toBe('stopped');
    const ssh = await k8s(['ssh', '-w', name, '--', 'sh', '-c', 'cat "$HOME/kept.txt"']);
    expect(ssh.exitCode, ssh.stderr).toBe(0);
    expect(ssh.stdout).toBe('kept\n');
  });

  it('delete removes the pod, the PVC, the Secret and the NetworkPolicy', async () => {
    const del = await k8s(['delete', '-w', name, '--force']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await devcObjects(namespace, name)).toEqual([]);
  });
});

describe('a workspace from a local working tree', () => {
  it('is uploaded as it is (uncommitted changes too), and delete leaves the tree alone', async () => {
    const tree = await mkdtemp(path.join(os.tmpdir(), `${prefix}-tree-`));
    const name = `${prefix}-tree`;
    try {
      await writeFile(path.join(tree, 'notes.md'), 'not committed\n');
      const up = await k8s(['up', tree, '--backend', 'kubernetes', '--name', name, '--json']);
      expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running', variant: 'base' });
      const read = await k8s(['exec', '-w', name, '--', 'sh', '-c', 'cat notes.md; stat -c %U .']);
      expect(read.stdout).toBe(`not committed\ndev\n`);
      const del = await k8s(['delete', '-w', name, '--force']);
      expect(del.exitCode, del.stderr).toBe(0);
      expect(await devcObjects(namespace, name)).toEqual([]);
      expect(await readFile(path.join(tree, 'notes.md'), 'utf8')).toBe('not committed\n');
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
});

describe('storage a non-root pod can not write to (hostPath ignores fsGroup)', () => {
  it('is prepared by a root init container instead, and the clone belongs to the workspace user', async () => {
    const name = `${prefix}-hostpath`;
    const extra = { DEVC_STORAGE_CLASS: 'devc-hostpath' };
    const up = await k8s(['up', repoUrl, '--backend', 'kubernetes', '--name', name, '--json'], extra);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    const pvc = await api().core.readNamespacedPersistentVolumeClaim({ name: `devc-${name}`, namespace });
    expect(pvc.spec?.storageClassName).toBe('devc-hostpath');
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(pod.spec?.initContainers?.map((c) => c.name)).toEqual(['clone']);
    const read = await k8s(['ssh', '-w', name, '--', 'sh', '-c', 'cat hello.sh; stat -c %U . "$HOME"']);
    expect(read.stdout, read.stderr).toBe('echo hello\ndev\ndev\n');
    // Later pods start from the template without the init container: the volume is the user's now.
    expect((await k8s(['stop', '-w', name])).exitCode).toBe(0);
    const again = await k8s(['ssh', '-w', name, '--', 'sh', '-c', 'touch "$HOME/x" && cat hello.sh']);
    expect(again.stdout, again.stderr).toBe('echo hello\n');
    expect((await k8s(['delete', '-w', name, '--force'])).exitCode).toBe(0);
    expect(await devcObjects(namespace, name)).toEqual([]);
  });
});

describe('hostRequirements and an image-based devcontainer.json', () => {
  const name = `${prefix}-sized`;

  it('become the pod requests and limits, the PVC size and the environment', async () => {
    const up = await k8s(['up', configRepoUrl, '--backend', 'kubernetes', '--name', name, '--json']);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(pod.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '1', memory: '1G' },
      limits: { cpu: '1', memory: '1G' },
    });
    const pvc = await api().core.readNamespacedPersistentVolumeClaim({ name: `devc-${name}`, namespace });
    expect(pvc.spec?.resources?.requests?.storage).toBe('2G');
    const envOut = await k8s(['exec', '-w', name, '--', 'printenv', 'DEVC_TEST_GREETING']);
    expect(envOut.stdout).toBe('hello-from-config\n');
    // forwardPorts: forwarded by the forwarder `up` started, with its label, once something listens.
    const served = await k8s(['exec', '-w', name, '--', 'sh', '-c', serveOn(3001, 'sized app')]);
    expect(served.exitCode, served.stderr).toBe(0);
    const ports = json<{ remote: number; label: string; url: string }[]>(
      await k8s(['ports', '-w', name, '--json']),
    );
    const app = ports.find((p) => p.remote === 3001);
    expect(app).toMatchObject({ label: 'Sized app' });
    expect(await (await fetch(app?.url ?? '')).text()).toBe('sized app');
    const del = await k8s(['delete', '-w', name, '--force']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await devcObjects(namespace, name)).toEqual([]);
  });
});

describe('rebuild', () => {
  const name = `${prefix}-rb`;
  const built = `${registry}/devc/${prefix}-img:1`;

  /** Builds the image with /etc/devc-build saying `stage`, pushes it, and drops the local copy. */
  async function pushBuild(stage: string): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-img-`));
    try {
      await writeFile(path.join(dir, 'Dockerfile'), `FROM ${image}\nRUN echo ${stage} > /etc/devc-build\n`);
      await execa('docker', ['build', '-q', '-t', built, dir]);
      await execa('docker', ['push', '-q', built]);
      // Only the registry has it now: like a build CI pushed under the same tag.
      await execa('docker', ['rmi', built]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('makes the pod again from the config edited in the workspace; --full pulls the image again; files stay', async () => {
    await pushBuild('one');
    const url = await git.createRepo(`acme/${prefix}-rb`, {
      'README.md': '# rb\n',
      '.devcontainer/devcontainer.json': JSON.stringify({
        image: built,
        // The image names no user (root, as on Docker); its home would not be on the volume.
        remoteUser: 'dev',
        containerEnv: { STAGE: 'one' },
      }),
    });
    const up = await k8s(['up', url, '--backend', 'kubernetes', '--name', name, '--json']);
    expect(json(up), up.stderr).toMatchObject({ outcome: 'success', state: 'running' });
    const before = await k8s(['exec', '-w', name, '--', 'sh', '-c', 'cat /etc/devc-build; echo $STAGE']);
    expect(before.stdout).toBe('one\none\n');
    // Edits made inside the workspace: a file in home, an uncommitted file, and the config itself.
    const edit = await k8s([
      'exec',
      '-w',
      name,
      '--',
      'sh',
      '-c',
      'echo kept > "$HOME/kept.txt" && echo work > work.txt && sed -i s/one/two/ .devcontainer/devcontainer.json',
    ]);
    expect(edit.exitCode, edit.stderr).toBe(0);
    await pushBuild('two');
    const rebuilt = await k8s(['rebuild', '-w', name, '--full']);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    const after = await k8s([
      'ssh',
      '-w',
      name,
      '--',
      'sh',
      '-c',
      'cat /etc/devc-build; echo $STAGE; cat "$HOME/kept.txt" work.txt',
    ]);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(after.stdout).toBe('two\ntwo\nkept\nwork\n');
    const pod = await api().core.readNamespacedPod({ name: `devc-${name}`, namespace });
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('Always');
    // The rebuilt pod was marked by the process that reached it, for every other process to see it run.
    expect(pod.metadata?.annotations?.['dev.devc.reached']).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Nothing was cloned again: the volume, the Secret and the policy are the same objects. A
    // config's image gets devc's agent from containers beside the workspace's, not an init container.
    expect(pod.spec?.initContainers ?? []).toEqual([]);
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['workspace', 'agent', 'home']);
    const del = await k8s(['delete', '-w', name, '--force']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await devcObjects(namespace, name)).toEqual([]);
  });
});

describe('errors leave nothing behind', () => {
  it('a user who may not create pods gets exit 4 naming the verb and resource', async () => {
    // Everything else a workspace needs is allowed: only the pod is refused.
    const kubeconfig = await restrictedKubeconfig(restricted, `${prefix}-nopods`, [
      ...READ_ONLY,
      { apiGroups: [''], resources: ['secrets', 'persistentvolumeclaims'], verbs: ['create'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create'] },
    ]);
    const up = await k8s(['up', repoUrl, '--backend', 'kubernetes', '--name', `${prefix}-denied`, '--json'], {
      KUBECONFIG: kubeconfig,
      DEVC_NAMESPACE: restricted,
    });
    expect(up.exitCode, up.stderr).toBe(4);
    const result = json<{ outcome: string; message: string }>(up);
    expect(result.outcome).toBe('error');
    expect(result.message).toBe(`You may not create pods in namespace ${restricted}.`);
    expect(await devcObjects(restricted)).toEqual([]);
  });

  it('a StorageClass that does not exist is named before anything is made', async () => {
    const name = `${prefix}-noclass`;
    const extra = { DEVC_STORAGE_CLASS: 'no-such-class' };
    const up = await k8s(['up', repoUrl, '--backend', 'kubernetes', '--name', name, '--json'], extra);
    expect(up.exitCode, up.stderr).toBe(2);
    expect(json<{ message: string }>(up).message).toContain('StorageClass no-such-class');
    expect(await devcObjects(namespace, name)).toEqual([]);
  });

  it('an image the registry does not have is named before anything is made', async () => {
    const missing = `${registry}/devc/${prefix}-missing:1`;
    const url = await git.createRepo(`acme/${prefix}-missing`, {
      '.devcontainer/devcontainer.json': JSON.stringify({ image: missing }),
    });
    const up = await k8s(['up', url, '--backend', 'kubernetes', '--name', `${prefix}-missing`, '--json']);
    expect(up.exitCode).toBe(1);
    const result = json<{ message: string }>(up);
    // devc reads the image's user and metadata from the registry first (no pod waits for a pull).
    expect(result.message).toBe(`The registry has no image ${missing}.`);
    expect(await devcObjects(namespace, `${prefix}-missing`)).toEqual([]);
  });
});
