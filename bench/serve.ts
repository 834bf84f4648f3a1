// bench/serve.sh's driver (run with vite-node): `devc serve` side by side with the CLI and with
// code-server itself, on the real engine. Prints the README's table rows; details on stderr.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { backoff } from '../src/wait/backoff.js';
import { startGitServer } from '../test/e2e/support/git-server.js';
import { HEADERS_GATEWAY, startGateway } from '../test/e2e/support/gateway.js';

const RUNS = Number(process.env.RUNS ?? 3);
const USERS = Number(process.env.USERS ?? 20);
const LATENCY_REQUESTS = Number(process.env.LATENCY_REQUESTS ?? 300);
const root = path.resolve(import.meta.dirname, '..');
const devcBin = path.join(root, 'bin', 'devc');
const tag = `benchgw${process.pid}`;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${x.toFixed(x < 10 ? 2 : 0)} ms`;

const git = await startGitServer();
const home = await mkdtemp(path.join(os.tmpdir(), 'devc-bench-serve-'));
const env: NodeJS.ProcessEnv = { ...process.env, DEVC_HOME: home, CI: '1', DEVC_GITHUB_URL: git.baseUrl };
delete env.GITHUB_TOKEN;
delete env.GH_TOKEN;
const devc = (args: string[]) => execa(devcBin, args, { env, extendEnv: false, reject: false });
const { process: gateway, base } = await startGateway([...HEADERS_GATEWAY, '--idle-timeout', '0'], env);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One GET through a keep-alive agent; the body is read (and dropped unless asked for). */
function get(url: string, headers: Record<string, string> = {}, keep = false) {
  return new Promise<{ status: number; location: string; body: string; bytes: number }>((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let body = '';
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keep) body += c.toString();
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', body, bytes }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
const as = (user: string) => ({ 'X-Auth-Request-User': user });

/** Whether `/w/NAME/` answers with code-server itself (its redirect to ?folder= or the workbench). */
async function editorAnswers(name: string, user: string): Promise<boolean> {
  const r = await get(`${base}/w/${name}/`, as(user), true).catch(() => undefined);
  if (!r) return false;
  return (r.status === 302 && r.location.includes('folder=')) || r.body.includes('vscode-workbench');
}

/**
 * From a browser's first request for `name` to code-server's first answer, in ms (bounded), the way the
 * waiting page goes: it follows the job's log until `ready`, then asks for the editor. The log ends
 * with `ready` or `failed`: a workspace that failed is said, not waited out.
 */
async function openInBrowser(first: string, name: string, user: string, deadlineMs: number): Promise<number> {
  const started = performance.now();
  const page = await get(`${base}${first}`, as(user), true);
  if (process.env.VERBOSE) log(`${name}: first answer after ${ms(performance.now() - started)}`);
  if (page.body.includes('EventSource')) {
    const events = await get(`${base}/api/v1/workspaces/${name}/logs`, as(user), true);
    if (events.body.includes('event: failed'))
      throw new Error(
        `${name} failed: ${events.body
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .pop()}`,
      );
  }
  const pace = backoff({ first: 50, max: 250, deadline: Date.now() + deadlineMs });
  while (!(await editorAnswers(name, user))) {
    if (pace.expired()) throw new Error(`${name} did not reach code-server within ${deadlineMs / 1000}s`);
    await pace.pause();
  }
  return performance.now() - started;
}

/** A table row, printed as soon as it is measured (a later step that fails keeps it). */
const rows = { push: (row: string): void => console.log(row) };
try {
  // One workspace for the first three figures.
  await git.createRepo(`acme/${tag}`, { 'README.md': '# bench\n' });
  const name = `${tag}-alice`;
  log(
    `made ${name} in ${(await openInBrowser(`/github/acme/${tag}`, name, 'alice', 600_000)).toFixed(0)} ms`,
  );

  // 1. Wake: a browser request on a stopped workspace → code-server's first byte, vs `devc start`.
  const wake: number[] = [];
  const start: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await devc(['stop', '-w', name]);
    wake.push(await openInBrowser(`/w/${name}/`, name, 'alice', 300_000));
    if (i === 0) log((await get(`${base}/api/v1/workspaces/${name}/logs`, as('alice'), true)).body);
    await devc(['stop', '-w', name]);
    const t = performance.now();
    const started = await devc(['start', '-w', name]);
    if (started.exitCode !== 0) throw new Error(`devc start failed: ${started.stderr}`);
    start.push(performance.now() - t);
  }
  log(`wake ${wake.map(ms).join(', ')}; devc start ${start.map(ms).join(', ')}`);
  rows.push(
    `| serve: wake on a browser request vs \`devc start\` (median of ${RUNS}) | ${ms(median(wake))} | ${ms(median(start))} | ${(median(wake) / median(start)).toFixed(2)}× (≤ 1.3×) |`,
  );

  // 2. Proxied request latency: code-server's /healthz through the gateway vs straight to it.
  await openInBrowser(`/w/${name}/`, name, 'alice', 120_000);
  const ip = (
    await execa('docker', [
      'inspect',
      '-f',
      '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
      `devc-${name}`,
    ])
  ).stdout.trim();
  const secret = (
    await readFile(path.join(home, 'workspaces', name, 'config', 'code-server-secret'), 'utf8')
  ).trim();
  const login = await fetch(`http://${ip}:8080/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password: secret }).toString(),
  });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const direct: number[] = [];
  const proxied: number[] = [];
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    for (const [url, headers, out] of [
      [`http://${ip}:8080/healthz`, { Cookie: cookie }, direct],
      [`${base}/w/${name}/healthz`, as('alice'), proxied],
    ] as const) {
      const t = performance.now();
      const r = await get(url, headers);
      if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
      out.push(performance.now() - t);
    }
  }
  rows.push(
    `| serve: proxied code-server request, p50 of ${LATENCY_REQUESTS} vs direct | ${ms(median(proxied))} | ${ms(median(direct))} | +${ms(median(proxied) - median(direct))} (≤ +1 ms) |`,
  );

  // 3. A 256 MiB download through the file API vs `devc cp`.
  await execa('docker', [
    'exec',
    '-u',
    'dev',
    '-w',
    `/workspaces/${tag}`,
    `devc-${name}`,
    'sh',
    '-c',
    'head -c 268435456 /dev/urandom > big.bin',
  ]);
  const api: number[] = [];
  const cp: number[] = [];
  const out = path.join(home, 'big.bin');
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const r = await get(`${base}/api/v1/workspaces/${name}/files?path=big.bin`, as('alice'));
    if (r.bytes !== 268435456) throw new Error(`the file API gave ${r.bytes} bytes`);
    api.push(performance.now() - t);
    t = performance.now();
    const copied = await devc(['cp', `${name}:/workspaces/${tag}/big.bin`, out]);
    if (copied.exitCode !== 0) throw new Error(`devc cp failed: ${copied.stderr}`);
    cp.push(performance.now() - t);
    await rm(out, { force: true });
  }
  const mbps = (t: number): string => `${(256 / (t / 1000)).toFixed(0)} MiB/s`;
  rows.push(
    `| serve: 256 MiB download, file API vs \`devc cp\` (median of ${RUNS}) | ${mbps(median(api))} | ${mbps(median(cp))} | ${(median(cp) / median(api)).toFixed(2)}× the speed (≥ 0.5×) |`,
  );
  await devc(['delete', '-w', name, '--force']);

  // 4. USERS users open USERS repositories at once; every one must reach code-server (bounded).
  const repos = Array.from({ length: USERS }, (_, i) => `${tag}-r${String(i + 1).padStart(2, '0')}`);
  for (const r of repos) await git.createRepo(`acme/${r}`, { 'README.md': `# ${r}\n` });
  const t = performance.now();
  const times = await Promise.allSettled(
    repos.map((r, i) => openInBrowser(`/github/acme/${r}`, `${r}-u${i + 1}`, `u${i + 1}`, 1_200_000)),
  );
  const reached = times.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
  for (const x of times) if (x.status === 'rejected') log(String(x.reason));
  rows.push(
    `| serve: ${USERS} users open ${USERS} repositories at once (Docker) | ${reached.length}/${USERS} reach code-server; median ${(median(reached) / 1000).toFixed(1)} s, last ${((performance.now() - t) / 1000).toFixed(1)} s | — | ${reached.length === USERS ? 'all' : 'NOT all'} |`,
  );
  for (const [i, r] of repos.entries()) await devc(['delete', '-w', `${r}-u${i + 1}`, '--force']);
} finally {
  gateway.kill('SIGTERM');
  await gateway.catch(() => undefined);
  const left = (
    await execa('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=dev.devc.workspace`,
      '--filter',
      `name=devc-${tag}`,
    ])
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (left.length) await execa('docker', ['rm', '-f', '-v', ...left], { reject: false });
  const volumes = (await execa('docker', ['volume', 'ls', '-q', '--filter', `name=devc-${tag}`])).stdout
    .split('\n')
    .filter(Boolean);
  if (volumes.length) await execa('docker', ['volume', 'rm', '-f', ...volumes], { reject: false });
  await git.close();
  await rm(home, { recursive: true, force: true });
  agent.destroy();
}
