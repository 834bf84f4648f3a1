// Helpers for the adversarial cases (test/e2e/adversarial-*.test.ts): run a case, check its message,
// and check that it changed nothing it should not have.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'vitest';
import { devc, type devcProcess, type Run } from './devc.js';
import { leftovers, type Leftovers } from './leftovers.js';

/** One case of the report: its id, devc's arguments, the exit code and the message it must give. */
export type Row = [id: string, args: string[], exitCode: number, message: RegExp];

/** The line a user reads: the first `error:` line, or the first line when there is none. */
export function message(run: Run): string {
  const lines = run.stderr.split('\n').filter(Boolean);
  return lines.find((l) => l.startsWith('error: ')) ?? lines[0] ?? '';
}

/** `text` as a RegExp source that matches it literally. */
export function literal(text: string): string {
  return text.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&');
}

export type State = Leftovers & { cwd: string[] };

/**
 * Runs devc with one DEVC_HOME in one working folder, and compares what a test's prefix has on the
 * engine, in DEVC_HOME and in that folder before and after a case.
 */
export function caseRunner(env: NodeJS.ProcessEnv, prefix: string, cwd: string) {
  const run = (args: string[]) => devc(args, env, { cwd });
  /** Processes by command line: a forwarder may be restarted under another pid. */
  const state = async (): Promise<State> => {
    const now = await leftovers(env.DEVC_HOME!, prefix);
    return {
      ...now,
      processes: now.processes.map((p) => p.replace(/^\d+ /, '')),
      cwd: readdirSync(cwd).sort(),
    };
  };
  return {
    run,
    state,
    exec: (name: string, script: string) => run(['exec', '-w', name, '--', 'sh', '-c', script]),
    /** Runs a case and checks its exit code and message, and that it made or removed nothing. */
    async expectCase(args: string[], exitCode: number, pattern: RegExp): Promise<Run> {
      const before = await state();
      const result = await run(args);
      expect(result.exitCode, result.stderr).toBe(exitCode);
      expect(message(result)).toMatch(pattern);
      expect(await state()).toEqual(before);
      return result;
    },
  };
}

export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** Collects every command line on the machine every 100 ms until stopped. */
export function watchCommandLines(seen: Set<string>): { stop(): void } {
  const timer = setInterval(() => {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        // gone already
      }
    }
  }, 100);
  return { stop: () => clearInterval(timer) };
}

/** Files under `dir` whose content includes `text`. */
export function filesContaining(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8', withFileTypes: false })
    .map((f) => path.join(dir, f))
    .filter((f) => {
      try {
        return readFileSync(f).includes(text);
      } catch {
        return false; // a folder, a socket, or gone
      }
    });
}

/** The first URL `devc code --web --no-open` prints (it keeps running to serve it), on any host name. */
export function firstLink(child: ReturnType<typeof devcProcess>): Promise<URL> {
  return new Promise<URL>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(https?:\/\/\S+)\n/m.exec(out);
      if (line?.[1]) resolve(new URL(line[1]));
    });
    void child.then((r) => reject(new Error(`devc code ended before printing a link:\n${String(r.stderr)}`)));
  });
}

/** GET `pathname` from the link's port on loopback, whatever its host name (127.0.0.1 or NAME.localhost). */
export function getOverLoopback(link: URL, pathname: string): Promise<{ status: number; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port: link.port, path: pathname, headers: { host: link.host } },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, cookies: response.headers['set-cookie'] ?? [] });
      },
    );
    request.on('error', reject);
  });
}

/** A test's leftovers once `done` holds for them, or after 20 s (a forwarder exits on its own). */
export async function settled(
  home: string,
  prefix: string,
  done: (now: Leftovers) => boolean,
): Promise<Leftovers> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const now = await leftovers(home, prefix);
    if (done(now) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 250));
  }
}
