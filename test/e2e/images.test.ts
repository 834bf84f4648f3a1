// The dev8 image family and the in-container agent, against the real Docker engine.
// Builds every variant through `devc images build` (Docker's cache makes reruns quick), starts each one the
// way devc does, and checks SSH, code-server, runtimes, credentials and idle stop.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, root } from './support/devc.js';
import {
  docker,
  hostPort,
  isRunning,
  logs,
  makeFixture,
  removeTestContainers,
  runContainer,
  sleep,
  ssh,
  sshArgs,
  waitLog,
  waitReady,
  type Fixture,
} from './support/images-helpers.js';

const VERSION = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string })
  .version;
const BUILD_TIMEOUT = 60 * 60_000;

let env: NodeJS.ProcessEnv;
let fixture: Fixture;

beforeAll(async () => {
  await removeTestContainers();
  env = await devcEnv();
  delete env.DEVC_REGISTRY;
  fixture = await makeFixture();
});

afterAll(async () => {
  await removeTestContainers();
});

interface Started {
  id: string;
  ssh: number;
  http: number;
}

async function start(image: string, extraEnv: Record<string, string> = {}): Promise<Started> {
  const id = await runContainer(image, fixture, extraEnv);
  await waitReady(id);
  return { id, ssh: await hostPort(id, 2222), http: await hostPort(id, 8080) };
}

const RUNTIMES: Record<string, [command: string, expected: RegExp][]> = {
  base: [
    ['gh --version', /^gh version 2\./],
    ['git --version', /^git version 2\./],
    ['tmux -V', /^tmux \d/],
    ['nvim --version', /^NVIM v0\./],
    ['jq --version', /^jq-1\./],
    ['curl --version', /^curl \d/],
    ['code-server --version', /^4\.\d+\.\d+ /m],
    ['sudo -n true && echo sudo-ok', /^sudo-ok/],
    ['locale -a', /en_US\.utf8/],
  ],
  node: [
    ['node --version', /^v24\./],
    ['npm --version', /^\d+\.\d+/],
    ['pnpm --version', /^\d+\.\d+/],
    ['yarn --version', /^1\.\d+/],
    ['gh --version', /^gh version 2\./],
  ],
  python: [
    ['python3 --version', /^Python 3\.11\./],
    ['pip3 --version', /^pip \d/],
    ['python3 -m venv /tmp/v && /tmp/v/bin/python -c "print(42)"', /^42/],
    ['pipx --version', /^\d+\./],
    ['pytest --version', /pytest \d/],
    ['ruff --version', /^ruff \d/],
    ['black --version', /^black/],
    ['mypy --version', /^mypy \d/],
    ['jupyter-lab --version', /^\d+\./],
    ['gh --version', /^gh version 2\./],
  ],
  fullstack: [
    ['node --version', /^v24\./],
    ['pnpm --version', /^\d+\.\d+/],
    ['yarn --version', /^1\.\d+/],
    ['python3 --version', /^Python 3\.11\./],
    ['pytest --version', /pytest \d/],
    ['ruff --version', /^ruff \d/],
    ['go version', /^go version go1\.\d+/],
    ['rustc --version', /^rustc 1\.\d+/],
    ['cargo --version', /^cargo 1\.\d+/],
    ['gh --version', /^gh version 2\./],
  ],
};

for (const variant of ['base', 'node', 'python', 'fullstack'] as const) {
  describe(`dev8-${variant}`, () => {
    const image = `devc/dev8-${variant}:${VERSION}`;
    let c: Started;

    it(
      `builds with devc images build ${variant}`,
      async () => {
        const run = await devc(['images', 'build', variant], env, { timeoutMs: BUILD_TIMEOUT });
        expect(run.exitCode, `${run.stderr}\n${run.stdout}`).toBe(0);
        expect(run.stdout.split('\n')).toContain(image);
        const list = json<{ variant: string; image: string; size: number; createdAt: string }[]>(
          await devc(['images', 'list', '--json'], env),
        );
        const entry = list.find((i) => i.image === image);
        expect(entry).toMatchObject({ variant, image });
        expect(entry!.size).toBeGreaterThan(100_000_000);
      },
      BUILD_TIMEOUT,
    );

    it('starts, and becomes ready (sshd and code-server answer)', async () => {
      c = await start(image);
      expect(await isRunning(c.id)).toBe(true);
    });

    it('accepts SSH on 2222 with the key, as uid 1000 (dev)', async () => {
      const r = await ssh(fixture.key, c.ssh, 'id -u; id -g; id -un; echo $HOME');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.split('\n').slice(0, 4)).toEqual(['1000', '1000', 'dev', '/home/dev']);
    });

    it('refuses passwords and root', async () => {
      // A password client: only publickey is offered, so the attempt fails without a prompt.
      const askpass = path.join(fixture.dir, 'askpass.sh');
      await writeFile(askpass, '#!/bin/sh\necho hunter2\n', { mode: 0o755 });
      const pw = await execa(
        'ssh',
        [
          '-o',
          'PreferredAuthentications=password,keyboard-interactive',
          '-o',
          'PubkeyAuthentication=no',
          '-o',
          'NumberOfPasswordPrompts=1',
          '-F',
          'none',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-p',
          String(c.ssh),
          'dev@127.0.0.1',
          'true',
        ],
        {
          reject: false,
          stdin: 'ignore',
          env: { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
          timeout: 30_000,
        },
      );
      expect(pw.exitCode).toBe(255);
      expect(String(pw.stderr)).toMatch(/Permission denied \(publickey\)/);
      // Root, even with the key in root's own authorized_keys.
      await docker([
        'exec',
        c.id,
        'sh',
        '-c',
        'mkdir -p /root/.ssh && cp /etc/devc/authorized_keys /root/.ssh/',
      ]);
      const root = await ssh(fixture.key, c.ssh, 'id -u', { user: 'root' });
      expect(root.exitCode).toBe(255);
      expect(root.stdout).not.toContain('0');
      expect(root.stderr).toMatch(/Permission denied/);
    });

    it('serves code-server on 8080 only with the secret', async () => {
      const base = `http://127.0.0.1:${c.http}`;
      const anonymous = await fetch(`${base}/`, { redirect: 'manual' });
      if (anonymous.status === 302) expect(anonymous.headers.get('location')).toMatch(/login/);
      else {
        expect(anonymous.status).toBe(401);
      }
      const loginPage = await fetch(`${base}/login`, { redirect: 'manual' });
      expect(loginPage.status).toBe(200);
      const loginHtml = await loginPage.text();
      expect(loginHtml).toMatch(/type="password"/);
      expect(loginHtml).not.toContain('workbench-web-configuration');

      const wrong = await fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'password=not-the-secret',
      });
      expect(wrong.headers.get('set-cookie') ?? '').not.toMatch(/code-server-session[\w-]*=[^;]+/);

      const login = await fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `password=${encodeURIComponent(fixture.secret)}`,
      });
      expect(login.status).toBe(302);
      const cookie = /code-server-session[\w-]*=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0];
      expect(cookie).toBeTruthy();
      const workbench = await fetch(`${base}/?folder=/workspaces/repo`, { headers: { cookie: cookie! } });
      expect(workbench.status).toBe(200);
      expect(await workbench.text()).toContain('workbench-web-configuration');
    });

    it(`has the runtimes dev8-${variant} promises`, async () => {
      for (const [command, expected] of RUNTIMES[variant]!) {
        const r = await ssh(fixture.key, c.ssh, command);
        expect(r.exitCode, `${command}: ${r.stderr}`).toBe(0);
        expect(r.stdout.trim(), command).toMatch(expected);
      }
    });

    it('logs gh in with the token, gives it to git over https, and leaks it nowhere', async () => {
      const gh = await ssh(fixture.key, c.ssh, 'gh auth token');
      expect(gh.exitCode, gh.stderr).toBe(0);
      expect(gh.stdout.trim()).toBe(fixture.token);
      const fill = await ssh(fixture.key, c.ssh, 'git credential fill', {
        input: 'protocol=https\nhost=git.example.test\npath=acme/repo.git\n\n',
      });
      expect(fill.exitCode, fill.stderr).toBe(0);
      expect(fill.stdout).toContain(`password=${fixture.token}`);
      // Plain http: only the hosts named in DEVC_GIT_HTTP_HOSTS get it.
      const httpNamed = await ssh(fixture.key, c.ssh, 'git credential fill', {
        input: 'protocol=http\nhost=git.example.test:8081\npath=acme/repo.git\n\n',
      });
      expect(httpNamed.stdout).toContain(`password=${fixture.token}`);
      const httpOther = await ssh(fixture.key, c.ssh, 'GIT_TERMINAL_PROMPT=0 git credential fill', {
        input: 'protocol=http\nhost=elsewhere.example.test\npath=acme/repo.git\n\n',
      });
      expect(httpOther.exitCode).not.toBe(0);
      expect(httpOther.stdout).not.toContain(fixture.token);
      const perms = await ssh(
        fixture.key,
        c.ssh,
        'stat -c "%a %U" ~/.config/devc/github-token ~/.config/gh/hosts.yml',
      );
      expect(perms.stdout.trim().split('\n')).toEqual(['600 dev', '600 dev']);
      const ident = await ssh(fixture.key, c.ssh, 'git config user.name; git config user.email');
      expect(ident.stdout.trim().split('\n')).toEqual(['Test User', 'test@example.com']);

      const places = {
        'docker inspect': (await docker(['inspect', c.id])).stdout,
        'docker logs': (await logs(c.id)).all,
        'env of a fresh SSH shell': (await ssh(fixture.key, c.ssh, 'env')).stdout,
        'env of a login shell': (await ssh(fixture.key, c.ssh, 'bash -lc env')).stdout,
        'ps of every process': (await ssh(fixture.key, c.ssh, 'ps -eo args')).stdout,
      };
      for (const [where, text] of Object.entries(places)) {
        expect(text.length, where).toBeGreaterThan(0);
        expect(text.includes(fixture.token), `token in ${where}`).toBe(false);
        expect(text.includes(fixture.secret), `code-server secret in ${where}`).toBe(false);
      }
      // The AI key reaches the user's shells (and only because ai.env was given).
      expect(places['env of a fresh SSH shell']).toContain('ANTHROPIC_API_KEY=sk-ant-test-123');
      expect(places['docker inspect']).not.toContain('sk-ant-test-123');
    });
  });
}

describe('the agent', () => {
  const image = `devc/dev8-base:${VERSION}`;

  it('keeps the host key across stop/start, restarts a dead sshd, and stops cleanly on SIGTERM', async () => {
    const c = await start(image);
    const key1 = (await docker(['exec', c.id, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout;
    expect(key1).toMatch(/^ssh-ed25519 /);

    await docker(['exec', c.id, 'sh', '-c', 'kill $(cat /run/devc/sshd.pid)']);
    await waitLog(c.id, /devc-agent: sshd exited; restarting/);
    await waitReady(c.id, 30_000);
    expect((await ssh(fixture.key, c.ssh, 'true')).exitCode).toBe(0);

    // devc stops with a 10 s grace period: exit code 0 (not 137) means the agent itself ended on SIGTERM.
    await docker(['stop', '--time', '10', c.id]);
    expect((await docker(['inspect', '--format', '{{.State.ExitCode}}', c.id])).stdout.trim()).toBe('0');
    expect((await logs(c.id)).all).toMatch(/devc-agent: stopping \(SIGTERM\)/);

    await docker(['start', c.id]);
    await waitReady(c.id);
    const key2 = (await docker(['exec', c.id, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout;
    expect(key2).toBe(key1);
    // Another container gets its own key.
    const other = await start(image);
    expect((await docker(['exec', other.id, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout).not.toBe(
      key1,
    );
  });

  it('restarts code-server when it dies', async () => {
    const c = await start(image);
    await docker(['exec', c.id, 'pkill', '-KILL', '-f', 'code-server/out/node/entry.js']);
    await waitLog(c.id, /devc-agent: code-server exited; restarting/);
    await waitReady(c.id, 60_000);
    // Listening comes a moment before serving: the new code-server may still reset the first request.
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${c.http}/login`).catch(() => undefined))?.status, {
        timeout: 30_000,
      })
      .toBe(200);
  });

  it("starts code-server through devc's launcher: its server is the launcher's child", async () => {
    const c = await start(image);
    const tree = (await docker(['exec', c.id, 'ps', '-eo', 'pid=,ppid=,args='])).stdout.trim().split('\n');
    const rows = tree.map((l) => l.trim().split(/\s+/));
    const server = rows.find((r) => r.at(-1)?.endsWith('code-server/out/node/entry.js'));
    const parent = rows.find((r) => r[0] === server?.[1]);
    expect(parent?.join(' ')).toContain('/lib/devc-agent/code-server.js');
    // Its variable stops at the launcher: nothing code-server starts (terminals, tasks) sees it.
    const environ = await docker(['exec', '-u', '1000', c.id, 'cat', `/proc/${server![0]}/environ`]);
    expect(environ.stdout.split('\0')).toContain(`CODE_SERVER_PARENT_PID=${parent![0]}`);
    expect(environ.stdout).not.toContain('DEVC_CODE_SERVER_LAUNCHER');
    // Anything but serving is code-server's own start.
    const version = await docker([
      'run',
      '--rm',
      '--entrypoint',
      '/opt/devc/node/bin/node',
      image,
      '/usr/local/lib/devc-agent/code-server.js',
      '/opt/devc/code-server/lib/node_modules/code-server/out/node/entry.js',
      '--version',
    ]);
    expect(version.stdout).toMatch(/^4\.\d+\.\d+ /m);
  });

  it('stops an idle workspace by itself, saying why', async () => {
    const c = await start(image, { DEVC_IDLE_TIMEOUT: '5' });
    const t0 = Date.now();
    while ((await isRunning(c.id)) && Date.now() - t0 < 40_000) await sleep(500);
    expect(await isRunning(c.id)).toBe(false);
    expect((await docker(['inspect', '--format', '{{.State.ExitCode}}', c.id])).stdout.trim()).toBe('0');
    expect((await logs(c.id)).all).toMatch(/idle/);
    const reason = await execa('docker', ['cp', `${c.id}:/run/devc/stop-reason`, '-'], {
      reject: false,
      encoding: 'buffer',
    });
    expect(reason.exitCode).toBe(0);
    // docker cp - writes a tar stream: the file's content is inside it.
    expect(Buffer.from(reason.stdout).toString('latin1')).toContain('idle\n');
  });

  it('stays up while an SSH session is open', async () => {
    const c = await start(image, { DEVC_IDLE_TIMEOUT: '5' });
    const session = execa('ssh', ['-o', 'BatchMode=yes', ...sshArgs(fixture.key, c.ssh), 'sleep 40'], {
      reject: false,
      stdin: 'ignore',
    });
    try {
      // More than two idle timeouts with the session open.
      await sleep(12_000);
      expect(await isRunning(c.id)).toBe(true);
    } finally {
      session.kill();
    }
    // Once the session ends, the timeout applies again.
    await session;
    const t0 = Date.now();
    while ((await isRunning(c.id)) && Date.now() - t0 < 30_000) await sleep(500);
    expect(await isRunning(c.id)).toBe(false);
  });

  it('never stops with DEVC_IDLE_TIMEOUT unset (0)', async () => {
    const c = await start(image);
    await sleep(8_000);
    expect(await isRunning(c.id)).toBe(true);
  });
});

describe('devc images build --push', () => {
  it(
    'pushes the variant and its parents to DEVC_REGISTRY, and images list shows them',
    async () => {
      // A real registry (Debian's docker-registry) on a free loopback port.
      const which = await execa('sh', ['-c', 'command -v docker-registry'], { reject: false });
      expect(which.exitCode, 'docker-registry is not installed (apt-get install docker-registry)').toBe(0);
      const port = await new Promise<number>((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as { port: number }).port;
          srv.close(() => resolve(p));
        });
      });
      const dir = await mkdtemp(path.join(os.tmpdir(), 'devc-registry-'));
      await writeFile(
        path.join(dir, 'config.yml'),
        `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
      );
      const registry = execa('docker-registry', ['serve', path.join(dir, 'config.yml')], { reject: false });
      const registryEnv = { ...env, DEVC_REGISTRY: `127.0.0.1:${port}` };
      const ref = `127.0.0.1:${port}/devc/dev8-base:${VERSION}`;
      try {
        for (let i = 0; i < 40; i++) {
          if ((await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.ok) break;
          await sleep(250);
        }
        const run = await devc(['images', 'build', 'base', '--push'], registryEnv, {
          timeoutMs: BUILD_TIMEOUT,
        });
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.stdout.trim().split('\n')).toEqual([ref]);
        const catalog = (await (await fetch(`http://127.0.0.1:${port}/v2/_catalog`)).json()) as {
          repositories: string[];
        };
        expect(catalog.repositories).toContain('devc/dev8-base');
        const tags = (await (await fetch(`http://127.0.0.1:${port}/v2/devc/dev8-base/tags/list`)).json()) as {
          tags: string[];
        };
        expect(tags.tags).toContain(VERSION);
        const list = json<{ image: string; variant: string }[]>(
          await devc(['images', 'list', '--json'], registryEnv),
        );
        expect(list).toContainEqual(expect.objectContaining({ image: ref, variant: 'base' }));
        // --push without a registry is a usage error (exit 2), before anything is built.
        const noRegistry = await devc(['images', 'build', 'base', '--push'], env);
        expect(noRegistry.exitCode).toBe(2);
        expect(noRegistry.stderr).toMatch(/DEVC_REGISTRY/);
      } finally {
        registry.kill();
        await registry;
        await docker(['rmi', ref]);
        await rm(dir, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT,
  );
});
