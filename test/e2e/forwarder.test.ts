// One forwarder service for every workspace of a DEVC_HOME (docs/ports.md): ten real Docker workspaces
// from local trees, one service process forwarding all of them, each port answering; a workspace
// stopped and started; the service killed hard and brought back by the next `devc ports`; a
// per-workspace forwarder of an earlier devc taken over; the service gone once the last workspace is.
// Memory and timings are bench/forwarder-memory.sh's business, not this file's.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, json, uniquePrefix, removeHome } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { leftovers } from './support/leftovers.js';
import { answers, freePort, PERL_SERVER } from './support/servers.js';

const prefix = uniquePrefix('fw');
const names = Array.from({ length: 10 }, (_, i) => `${prefix}-w${i}`);
/** The port each workspace serves on (and is forwarded to, the same number while it is free). */
const ports = new Map<string, number>();
let env: NodeJS.ProcessEnv;
let sandbox: string;
/** The stand-in for an earlier devc's forwarder, ended by the service (or by afterAll). */
let oldPid = 0;

const home = (...parts: string[]): string => path.join(env.DEVC_HOME!, ...parts);
const hello = (name: string): string => `hello from ${ports.get(name)}\n`;
const url = (name: string): string => `http://127.0.0.1:${ports.get(name)}/`;

/** The service's pid from its pid file. */
const servicePid = (): number => Number(readFileSync(home('forwarder', 'pid'), 'utf8'));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(test: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!test() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  return test();
}

/** devc's forwarder processes of this DEVC_HOME (the service, and nothing else). */
async function forwarders(): Promise<string[]> {
  return (await leftovers(env.DEVC_HOME!, prefix)).processes.filter((p) => p.includes('forwarder-main'));
}

async function serveInside(name: string): Promise<void> {
  const script = `nohup perl /workspaces/${name}/server.pl ${ports.get(name)} >/dev/null 2>&1 &`;
  const run = await execa('docker', ['exec', '-u', 'dev', `devc-${name}`, 'sh', '-c', script], {
    reject: false,
  });
  expect(run.exitCode, String(run.stderr)).toBe(0);
}

/** Every workspace's answer through its forwarded port, by name (all asked at once). */
async function everyAnswer(only = names): Promise<Record<string, string>> {
  const got = await Promise.all(only.map(async (n) => [n, await answers(url(n), hello(n))] as const));
  return Object.fromEntries(got);
}

const expected = (only = names): Record<string, string> => Object.fromEntries(only.map((n) => [n, hello(n)]));

beforeAll(async () => {
  env = await devcEnv();
  sandbox = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  for (const name of names) {
    ports.set(name, await freePort());
    await mkdir(path.join(sandbox, name));
    await writeFile(path.join(sandbox, name, 'server.pl'), PERL_SERVER);
  }
  // All ten at once: the engine makes them side by side.
  const ups = await Promise.all(
    names.map((name) => devc(['up', path.join(sandbox, name), '--name', name, '--json'], env)),
  );
  for (const up of ups) expect(up.exitCode, up.stderr).toBe(0);
  for (const name of names) await serveInside(name);
});

afterAll(async () => {
  const pid = await Promise.resolve()
    .then(servicePid)
    .catch(() => 0);
  for (const p of [pid, oldPid]) if (p > 0 && alive(p)) process.kill(p, 'SIGKILL');
  await removeWorkspaces(prefix);
  await rm(sandbox, { recursive: true, force: true });
  await removeHome(env.DEVC_HOME);
});

describe('one forwarder service for every workspace', () => {
  it('one process forwards all ten workspaces, and every forwarded port answers', async () => {
    expect(await everyAnswer()).toEqual(expected());
    const pid = servicePid();
    expect(await forwarders()).toEqual([expect.stringMatching(new RegExp(`^${pid} .*forwarder-main\\.js$`))]);
    for (const name of names) {
      expect(readFileSync(home('workspaces', name, 'forwarder', 'pid'), 'utf8')).toBe(String(pid));
    }
    const rows = json<{ remote: number; local: number; state: string }[]>(
      await devc(['ports', '-w', names[3]!, '--json'], env),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        remote: ports.get(names[3]!),
        local: ports.get(names[3]!),
        state: 'forwarded',
      }),
    );
  });

  it('a workspace stopped and started gets its ports back; the others never lose theirs', async () => {
    const [first, second] = names as [string, string];
    const pid = servicePid();
    expect((await devc(['stop', '-w', first], env)).exitCode).toBe(0);
    expect(await answers(url(first), 'never', 2000)).not.toContain('hello');
    expect(await answers(url(second), hello(second))).toBe(hello(second));
    const start = await devc(['start', '-w', first], env);
    expect(start.exitCode, start.stderr).toBe(0);
    await serveInside(first);
    expect(await answers(url(first), hello(first))).toBe(hello(first));
    expect(servicePid()).toBe(pid);
  });

  it('killed with SIGKILL: the next `devc ports` notices, starts it again, and every port answers', async () => {
    const killed = servicePid();
    process.kill(killed, 'SIGKILL');
    expect(await until(() => !alive(killed))).toBe(true);
    expect(await answers(url(names[1]!), 'never', 1000)).not.toContain('hello');
    const run = await devc(['ports', '-w', names[1]!, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Started the port forwarder of ${names[1]} again.`);
    expect(servicePid()).not.toBe(killed);
    // It serves every workspace handed to it, not only the one `devc ports` asked about.
    expect(await everyAnswer()).toEqual(expected());
    expect(await forwarders()).toHaveLength(1);
  });

  it('a per-workspace forwarder of an earlier devc is stopped and its port taken over', async () => {
    const last = names[9]!;
    expect((await devc(['ports', 'stop', '-w', last], env)).exitCode).toBe(0);
    // A stand-in for the old forwarder-main.js: holds the workspace's pid file and its port.
    const oldMain = path.join(sandbox, 'old', 'forwarder-main.js');
    await mkdir(path.dirname(oldMain));
    await writeFile(
      oldMain,
      `require('net').createServer((s) => s.end('HTTP/1.0 200 OK\\r\\n\\r\\nold')).listen(${ports.get(last)}, '127.0.0.1');
       require('fs').writeFileSync(${JSON.stringify(home('workspaces', last, 'forwarder', 'pid'))}, String(process.pid));`,
    );
    const old = spawn(process.execPath, [oldMain], { stdio: 'ignore', detached: true });
    old.unref();
    oldPid = old.pid!;
    expect(await answers(url(last), 'old', 10_000)).toBe('old');
    const run = await devc(['ports', '-w', last, '--json'], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await until(() => !alive(old.pid!))).toBe(true);
    expect(await answers(url(last), hello(last))).toBe(hello(last));
    const log = readFileSync(home('workspaces', last, 'forwarder', 'forwarder.log'), 'utf8');
    expect(log).toContain(`took over from the forwarder process ${old.pid}`);
  });

  it('exits once the last workspace is deleted, and not before', async () => {
    const pid = servicePid();
    const [last, ...rest] = names as [string, ...string[]];
    const deletes = await Promise.all(rest.map((n) => devc(['delete', '-w', n, '--force'], env)));
    for (const run of deletes) expect(run.exitCode, run.stderr).toBe(0);
    // Nine gone: still forwarding the tenth.
    expect(await answers(url(last), hello(last))).toBe(hello(last));
    expect(alive(pid)).toBe(true);
    expect((await devc(['delete', '-w', last, '--force'], env)).exitCode).toBe(0);
    expect(await until(() => !alive(pid))).toBe(true);
    expect(await forwarders()).toEqual([]);
  });
});
