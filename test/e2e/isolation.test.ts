// S13 and S14 of the adversarial report (research/adversarial-turn2.md): one Docker workspace can't
// reach another's sshd, code-server or dev servers, and code-server's session cookie goes to no other
// local port, so it can't be carried to another workspace and replayed there. Three workspaces, one per
// way devc makes a container: `a` from a dev8 image (devc's `docker create`), `b` from a Dockerfile
// through the Dev Containers CLI (its own `docker run`), `c` from a local image run directly.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { devc, devcEnv, devcProcess, json, loginLink, uniquePrefix, type Run } from './support/devc.js';
import { dockerOut, removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';
import { leftovers, nothing } from './support/leftovers.js';

const prefix = uniquePrefix('iso');
const a = `${prefix}-a`;
const b = `${prefix}-b`;
const c = `${prefix}-c`;
let git: GitServer;
let gateway: string;
let env: NodeJS.ProcessEnv;
let jarDir: string | undefined;

/**
 * A dev server on 0.0.0.0:5000 that answers with the Cookie header it got: it stands for any app a
 * workspace serves, which its user opens on a forwarded local port.
 */
const COOKIE_ECHO = `use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalAddr => "0.0.0.0", LocalPort => 5000, Listen => 10, ReuseAddr => 1) or die $!;
while (my $c = $s->accept) {
  my $cookie = "";
  while (my $l = <$c>) { $l =~ s/\\r?\\n$//; last if $l eq ""; $cookie = $1 if $l =~ /^Cookie:\\s*(.*)$/i; }
  print $c "HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\ncookie=[$cookie]\\n";
  close $c;
}`;

/**
 * Run inside a workspace: connects to $0:$1 over TCP (bash's /dev/tcp) and, given a request in $2,
 * sends it and prints the first line of the answer. Exit 0 only when the connection was made.
 */
const PROBE =
  'exec 3<>"/dev/tcp/$0/$1" || exit 7; if [ -n "$2" ]; then printf "%b" "$2" >&3; head -n 1 <&3; fi';

const run = (args: string[]) => devc(args, env);
const exec = (name: string, ...command: string[]) => run(['exec', '-w', name, '--', ...command]);
/** From inside `from`, to address:port; `timeout` turns a dropped connection into exit 124. */
const probe = (from: string, address: string, port: number, request = ''): Promise<Run> =>
  exec(from, 'timeout', '5', 'bash', '-c', PROBE, address, String(port), request);
const addressOf = (name: string) =>
  dockerOut(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `devc-${name}`]);
const networksOf = async (name: string) =>
  Object.keys(
    JSON.parse(
      await dockerOut(['inspect', '-f', '{{json .NetworkSettings.Networks}}', `devc-${name}`]),
    ) as object,
  );
/** Whether this machine (the host) opens a TCP connection to address:port. */
const hostReaches = (address: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 5000 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
const curl = (...args: string[]) => execa('curl', ['-sS', '--max-time', '15', ...args], { reject: false });

beforeAll(async () => {
  // The git host listens on the Docker bridge's own address, so workspaces can reach it as they reach
  // any host outside their network (listening fails at once if the address is not this machine's).
  const bridge = await execa('ip', ['-4', '-o', 'addr', 'show', 'docker0']);
  gateway = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(bridge.stdout)?.[1] ?? '';
  expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  git = await startGitServer(gateway);
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${a}`, { 'README.md': 'a\n' });
  await git.createRepo(`acme/${b}`, {
    '.devcontainer/devcontainer.json': JSON.stringify({ build: { dockerfile: 'Dockerfile' } }),
    '.devcontainer/Dockerfile': 'FROM debian:bookworm-slim\n',
  });
  await git.createRepo(`acme/${c}`, {
    '.devcontainer.json': JSON.stringify({ image: 'debian:bookworm-slim' }),
  });
  const up = (name: string) => run(['up', `github/acme/${name}`, '--idle-timeout', '0', '--json']);
  // One first: a fresh DEVC_HOME's first `up`s, run at once, race to make devc's SSH key.
  const ups = [await up(a), ...(await Promise.all([b, c].map(up)))];
  for (const made of ups) expect(made.exitCode, made.stderr).toBe(0);
  const server = await exec(
    a,
    'sh',
    '-c',
    'setsid perl -e "$1" >/dev/null 2>&1 </dev/null & sleep 1',
    'cookie-echo',
    COOKIE_ECHO,
  );
  expect(server.exitCode, server.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
  if (jarDir) await rm(jarDir, { recursive: true, force: true });
});

describe('workspaces are apart from each other (S13)', () => {
  it('each is on devc’s network, which drops traffic between containers, whichever way it was made', async () => {
    const log = (name: string) =>
      readFileSync(path.join(env.DEVC_HOME!, 'workspaces', name, 'build.log'), 'utf8');
    expect(log(b)).toContain('goes through the Dev Containers CLI');
    expect(log(c)).toContain('running it directly');
    for (const name of [a, b, c]) expect(await networksOf(name)).toEqual(['devc']);
    const options = await dockerOut(['network', 'inspect', '-f', '{{json .Options}}', 'devc']);
    expect(JSON.parse(options)).toMatchObject({ 'com.docker.network.bridge.enable_icc': 'false' });
  });

  // [from, to, port]: every other workspace's sshd (2222) and code-server (8080), and a's dev server.
  const cases: [string, string, number][] = [
    [b, a, 2222],
    [b, a, 8080],
    [b, a, 5000],
    [c, a, 8080],
    [c, a, 5000],
    [a, b, 2222],
    [a, c, 8080],
  ];
  it.each(cases)(
    '%s cannot open %s port %i; that workspace itself and the host can',
    async (from, to, port) => {
      const address = await addressOf(to);
      expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      // The port is open on that address: for the workspace itself and for the host (the forwarder's way).
      expect((await probe(to, address, port)).exitCode).toBe(0);
      expect(await hostReaches(address, port)).toBe(true);
      const across = await probe(from, address, port);
      expect(across.exitCode, across.stderr).not.toBe(0);
    },
  );

  it('a workspace still reaches hosts outside its network (the git server on the host)', async () => {
    const request = `GET /acme/${b}.git/info/refs?service=git-upload-pack HTTP/1.0\\r\\nHost: ${gateway}\\r\\n\\r\\n`;
    for (const name of [a, b, c]) {
      const reply = await probe(name, gateway, Number(new URL(git.baseUrl).port), request);
      expect(reply.exitCode, reply.stderr).toBe(0);
      expect(reply.stdout).toMatch(/^HTTP\/1\.1 200/);
    }
  });
});

describe('code-server’s cookie stays with its workspace (S14)', () => {
  /** The session cookie's line in the jar: domain, subdomains, path, secure, expiry, name, value. */
  let session: string[] | undefined;

  it('is sent to no other forwarded local port', async () => {
    const jar = path.join((jarDir = await mkdtemp(path.join(os.tmpdir(), `${prefix}-jar-`))), 'cookies.txt');
    const child = devcProcess(['code', '--web', '--no-open', '-w', a], env);
    const link = await loginLink(child);
    // curl keeps cookies as a browser does (per host name, any port) and resolves *.localhost itself.
    const login = await curl('-c', jar, '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', link);
    expect(login.stdout).toMatch(/^302 http:\/\//);
    const workbench = login.stdout.split(' ')[1]!;
    expect((await child).exitCode).toBe(0);
    const opened = await curl('-b', jar, '-o', '/dev/null', '-w', '%{http_code}', workbench);
    expect(opened.stdout).toBe('200');
    session = (await readFile(jar, 'utf8'))
      .split('\n')
      .map((line) => line.split('\t'))
      .find((f) => f[5] === `code-server-session-${a}`);

    // a's app on a forwarded port, opened as any app is (127.0.0.1, localhost), or at another name.
    const forward = await run(['ports', 'forward', '5000', '-w', a, '--json']);
    expect(forward.exitCode, forward.stderr).toBe(0);
    const local = json<{ remote: number; local: number }[]>(forward).find((p) => p.remote === 5000)!.local;
    for (const host of ['127.0.0.1', 'localhost', `${b}.devc.localhost`]) {
      const app = await curl('-b', jar, `http://${host}:${local}/`);
      expect(app.stdout, host).toBe('cookie=[]');
    }
    // The jar holds it for the workspace's own name alone (host-only, no Domain), whatever the port.
    expect(session?.[6]).toBeTruthy();
    expect(session?.[0]?.replace(/^#HttpOnly_/, '')).toBe(`${a}.devc.localhost`);
    expect(session?.[1]).toBe('FALSE');
    const own = await curl('-b', jar, `http://${a}.devc.localhost:${local}/`);
    expect(own.stdout).toContain(`code-server-session-${a}=`);
  });

  it('replayed from another workspace, it reaches nothing; from its own, it opens the workbench', async () => {
    expect(session?.[6]).toBeTruthy();
    const address = await addressOf(a);
    const replay = (from: string) =>
      probe(
        from,
        address,
        8080,
        `GET /?folder=%2Fworkspaces%2F${a} HTTP/1.0\\r\\nHost: ${address}:8080\\r\\nCookie: ${session![5]}=${session![6]}\\r\\n\\r\\n`,
      );
    const valid = await replay(a);
    expect(valid.stdout).toMatch(/^HTTP\/1\.1 200/);
    const stolen = await replay(b);
    expect(stolen.exitCode).not.toBe(0);
    expect(stolen.stdout).toBe('');
  });
});

describe('restarts', () => {
  it.each([a, b])('stop and start keep %s on devc’s network, apart from the others', async (name) => {
    const stop = await run(['stop', '-w', name]);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const start = await run(['start', '-w', name]);
    expect(start.exitCode, start.stderr).toBe(0);
    expect(await networksOf(name)).toEqual(['devc']);
    const address = await addressOf(name);
    expect((await probe(name, address, 2222)).exitCode).toBe(0);
    expect((await probe(c, address, 2222)).exitCode).not.toBe(0);
  });
});

describe('delete', () => {
  it('leaves nothing of the workspaces; the shared network stays for the next one', async () => {
    for (const name of [a, b, c]) {
      const gone = await run(['delete', '--force', '-w', name]);
      expect(gone.exitCode, gone.stderr).toBe(0);
    }
    // A forwarder ends by itself once its workspace is gone (docs/ports.md): wait for that, no longer.
    await vi.waitFor(async () => expect(await leftovers(env.DEVC_HOME!, prefix)).toEqual(nothing), {
      timeout: 20_000,
      interval: 250,
    });
    const members = await dockerOut([
      'network',
      'inspect',
      '-f',
      '{{range .Containers}}{{.Name}} {{end}}',
      'devc',
    ]);
    expect(members).not.toContain(prefix);
  });
});
