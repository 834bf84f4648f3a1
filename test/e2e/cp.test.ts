import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devc, devcEnv, uniquePrefix } from './support/devc.js';
import { removeWorkspaces } from './support/docker.js';
import { startGitServer, type GitServer } from './support/git-server.js';

const prefix = uniquePrefix('cp');
const ws = `${prefix}-files`;
let git: GitServer;
let env: NodeJS.ProcessEnv;
let local: string;

beforeAll(async () => {
  git = await startGitServer();
  env = await devcEnv({ DEVC_GITHUB_URL: git.baseUrl });
  await git.createRepo(`acme/${ws}`, { 'README.md': '# files\n' });
  local = mkdtempSync(path.join(os.tmpdir(), 'devc-cp-'));
  const tree = path.join(local, 'tree');
  mkdirSync(path.join(tree, 'sub', 'deeper'), { recursive: true });
  mkdirSync(path.join(tree, 'empty'));
  writeFileSync(path.join(tree, 'a.txt'), 'alpha\n');
  writeFileSync(path.join(tree, 'sub', 'run.sh'), '#!/bin/sh\necho run\n');
  chmodSync(path.join(tree, 'sub', 'run.sh'), 0o755);
  writeFileSync(path.join(tree, 'sub', 'deeper', 'blob.bin'), randomBytes(300_000));
  writeFileSync(path.join(tree, 'with space.txt'), 'spaced\n');
  const up = await devc(['up', `acme/${ws}`, '--idle-timeout', '0'], env);
  expect(up.exitCode, up.stderr).toBe(0);
});

afterAll(async () => {
  await removeWorkspaces(prefix);
  await git?.close();
});

/** Every entry under a folder: relative path, kind, mode and content hash. */
function snapshot(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel))
    .sort()
    .flatMap((entry) => {
      const p = path.join(rel, entry);
      const s = statSync(path.join(dir, p));
      const mode = (s.mode & 0o777).toString(8);
      if (s.isDirectory()) return [`${p}/ ${mode}`, ...snapshot(dir, p)];
      const hash = createHash('sha256')
        .update(readFileSync(path.join(dir, p)))
        .digest('hex');
      return [`${p} ${mode} ${hash}`];
    });
}

const exec = (script: string) => devc(['exec', '-w', ws, '--', 'sh', '-c', script], env);

describe('devc cp', () => {
  it('uploads a folder tree (-r): bytes, modes and dev:dev ownership inside', async () => {
    const run = await devc(['cp', '-r', path.join(local, 'tree'), `${ws}:copied`], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`/workspaces/${ws}/copied`);
    const inside = await exec(
      'cd copied && find . -print0 | sort -z | xargs -0 stat -c "%n %a %U:%G" && sha256sum sub/deeper/blob.bin',
    );
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toContain('./sub/run.sh 755 dev:dev');
    expect(inside.stdout).toContain('./empty 755 dev:dev');
    expect(inside.stdout).not.toMatch(/root/);
    const blob = createHash('sha256')
      .update(readFileSync(path.join(local, 'tree', 'sub', 'deeper', 'blob.bin')))
      .digest('hex');
    expect(inside.stdout).toContain(`${blob}  sub/deeper/blob.bin`);
    expect((await exec('./copied/sub/run.sh')).stdout).toBe('run\n');
  });

  it('downloads it back (-r): byte for byte, the executable bit kept', async () => {
    const back = path.join(local, 'back');
    const run = await devc(['cp', '-r', `${ws}:copied`, back], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(snapshot(back)).toEqual(snapshot(path.join(local, 'tree')));
    expect(statSync(path.join(back, 'sub', 'run.sh')).mode & 0o111).toBe(0o111);
  });

  it('into an existing folder, a copy lands inside it (like cp)', async () => {
    const into = path.join(local, 'into');
    mkdirSync(into);
    const run = await devc(['cp', '-r', `${ws}:copied/sub`, into], env);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(readFileSync(path.join(into, 'sub', 'run.sh'), 'utf8')).toContain('echo run');
    const up = await devc(['cp', path.join(local, 'tree', 'a.txt'), `${ws}:copied/sub/`], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await exec('cat copied/sub/a.txt')).stdout).toBe('alpha\n');
  });

  it('single files both ways, ~ is the home, :path with -w', async () => {
    const up = await devc(['cp', '-w', ws, path.join(local, 'tree', 'with space.txt'), ':~/notes.txt'], env);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await exec('cat ~/notes.txt && stat -c %U ~/notes.txt')).stdout).toBe('spaced\ndev\n');
    const file = path.join(local, 'notes-back.txt');
    const down = await devc(['cp', `${ws}:~/notes.txt`, file], env);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('spaced\n');
  });

  it('refuses what it should, with exit 2 and a reason', async () => {
    const folder = await devc(['cp', path.join(local, 'tree'), `${ws}:nope`], env);
    expect(folder.exitCode).toBe(2);
    expect(folder.stderr).toMatch(/is a folder[\s\S]*-r/);
    const missing = await devc(['cp', `${ws}:does-not-exist`, path.join(local, 'x')], env);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('does not exist');
    const bothLocal = await devc(['cp', path.join(local, 'tree', 'a.txt'), path.join(local, 'b.txt')], env);
    expect(bothLocal.exitCode).toBe(2);
    expect(bothLocal.stderr).toContain('NAME:path');
    // Nothing half-written beside the destination.
    expect(readdirSync(local).filter((e) => e.startsWith('.devc-cp'))).toEqual([]);
  });
});
