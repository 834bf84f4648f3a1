import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarGz, type ArchiveEntry } from './support/archive.js';
import { devcEnv, uniquePrefix } from './support/devc.js';
import { dockerOut, removeWorkspaces, workspaceContainers } from './support/docker.js';
import {
  gatewayRequest,
  HEADERS_GATEWAY,
  multipart,
  startGateway,
  type Answer,
  type RequestOptions,
} from './support/gateway.js';

// Uploads to `POST /api/v1/workspaces` (multipart/form-data) on the real engine: a devcontainer.json, a
// .tar.gz of a folder, and archives and bodies that must be refused with nothing made.
const prefix = uniquePrefix('gwup');
const sandbox = await mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
const pwned = path.join(sandbox, 'initialize-ran');
let env: NodeJS.ProcessEnv;
let gateway: ResultPromise;
let base: string;

const request = (p: string, options: RequestOptions = {}): Promise<Answer> =>
  gatewayRequest(base, p, { user: 'alice', timeoutMs: 900_000, ...options });

/** POSTs a form as alice (with the CSRF header a page sends). */
async function upload(fields: Record<string, string | Blob>, fileName?: string): Promise<Answer> {
  const { body, type } = await multipart(fields, fileName);
  return request('/api/v1/workspaces', {
    method: 'POST',
    headers: { 'X-Devc-Request': '1', 'Content-Type': type },
    body,
  });
}

/** A hand-made .tar.gz as an uploaded file. */
const archive = async (entries: ArchiveEntry[]): Promise<Blob> => new Blob([await tarGz(entries)]);

const workspaceDirs = async (): Promise<string[]> =>
  (await readdir(path.join(env.DEVC_HOME!, 'workspaces')).catch(() => [])).filter((n) =>
    n.startsWith(prefix),
  );

beforeAll(async () => {
  env = await devcEnv();
  ({ process: gateway, base } = await startGateway(
    [...HEADERS_GATEWAY, '--max-upload', '256k', '--max-upload-files', '50'],
    env,
  ));
});

afterAll(async () => {
  gateway?.kill('SIGTERM');
  await gateway;
  await removeWorkspaces(prefix);
  await rm(sandbox, { recursive: true, force: true });
});

describe('devc serve: uploads', () => {
  it('a devcontainer.json makes a workspace from it, in an empty folder', async () => {
    const config = `// JSONC as VS Code writes it
{ "image": "devc/dev8-base:0.1.0", "containerEnv": { "FROM_UPLOAD": "yes" }, }`;
    const made = await upload(
      { name: `${prefix}-cfg`, devcontainer: new Blob([config]) },
      'devcontainer.json',
    );
    expect(made.status, made.body).toBe(202);
    const { name } = JSON.parse(made.body) as { name: string };
    expect(name).toBe(`${prefix}-cfg-alice`);
    const log = await request(`/api/v1/workspaces/${name}/logs`);
    expect(log.body, log.body).toContain('event: ready');
    const seen = await execa('docker', ['exec', `devc-${name}`, 'printenv', 'FROM_UPLOAD'], {
      reject: false,
    });
    expect(seen.stdout.trim()).toBe('yes');
    const editor = await request(`/w/${name}/`);
    expect([200, 302]).toContain(editor.status);
    expect(editor.body).not.toContain('Starting');
    const listed = JSON.parse((await request('/api/v1/workspaces')).body) as {
      name: string;
      owner: string;
    }[];
    expect(listed.map((w) => w.name)).toContain(name);
  }, 600_000);

  it('a .tar.gz of a folder: its files are in the workspace', async () => {
    const folder = path.join(sandbox, `${prefix}-shop`);
    await mkdir(path.join(folder, 'src'), { recursive: true });
    await writeFile(path.join(folder, 'README.md'), '# uploaded shop\n');
    await writeFile(path.join(folder, 'src', 'main.go'), 'package main\n');
    // As a user makes it: `tar czf shop.tar.gz shop` (one top folder).
    const tgz = path.join(sandbox, 'shop.tar.gz');
    await execa('tar', ['czf', tgz, '-C', sandbox, path.basename(folder)]);
    const made = await upload({ folder: new Blob([await readFile(tgz)]) }, `${prefix}-shop.tar.gz`);
    expect(made.status, made.body).toBe(202);
    const { name } = JSON.parse(made.body) as { name: string };
    expect(name).toBe(`${prefix}-shop-alice`);
    expect((await request(`/api/v1/workspaces/${name}/logs`)).body).toContain('event: ready');
    const readme = await request(`/api/v1/workspaces/${name}/files?path=README.md`);
    expect(readme.body).toBe('# uploaded shop\n');
    const main = await execa(
      'docker',
      ['exec', '-u', 'dev', `devc-${name}`, 'sh', '-c', 'cat src/main.go && touch src/new'],
      {
        reject: false,
      },
    );
    expect(main.stdout.trim(), main.stderr).toBe('package main');
    // Delete refuses: the uploaded files are pushed nowhere.
    const del = await request(`/api/v1/workspaces/${name}`, {
      method: 'DELETE',
      headers: { 'X-Devc-Request': '1' },
    });
    expect(del.status, del.body).toBe(409);
  }, 600_000);

  it("an uploaded devcontainer.json's initializeCommand never runs on the host", async () => {
    const config = JSON.stringify({ image: 'devc/dev8-base:0.1.0', initializeCommand: `touch ${pwned}` });
    const made = await upload(
      { name: `${prefix}-init`, devcontainer: new Blob([config]) },
      'devcontainer.json',
    );
    expect(made.status, made.body).toBe(202);
    const { name } = JSON.parse(made.body) as { name: string };
    const log = await request(`/api/v1/workspaces/${name}/logs`);
    expect(log.body).toContain('event: failed');
    expect(log.body).toMatch(/initializeCommand/);
    expect(existsSync(pwned)).toBe(false);
    expect(await workspaceContainers(name)).toEqual([]);
  }, 300_000);

  it.each<[string, () => Promise<Blob>, number, RegExp]>([
    ['not a tar.gz', () => Promise.resolve(new Blob(['PK\x03\x04 a zip file'])), 400, /not a .*tar\.gz/],
    [
      'a .. entry',
      () =>
        archive([
          { name: 'ok.txt', body: 'x' },
          { name: '../../escape', body: 'x' },
        ]),
      400,
      /\.\./,
    ],
    ['an absolute entry', () => archive([{ name: '/tmp/escape', body: 'x' }]), 400, /absolute/],
    [
      'a symlink out',
      () => archive([{ name: 'etc', type: 'symlink', linkname: '../../../../etc' }]),
      400,
      /points out/,
    ],
    [
      'a file through a link',
      () =>
        archive([
          { name: 'l', type: 'symlink', linkname: '.' },
          { name: 'l/x', body: 'x' },
        ]),
      400,
      /through/,
    ],
    [
      'a device',
      () => archive([{ name: 'tty', type: 'character-device', devmajor: 5, devminor: 0 }]),
      400,
      /only files/,
    ],
    ['a gzip bomb', () => archive([{ name: 'zeros', body: Buffer.alloc(8 << 20) }]), 413, /--max-upload/],
    [
      'too many files',
      () => archive(Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, body: '' }))),
      413,
      /--max-upload-files/,
    ],
    ['too large a body', () => Promise.resolve(new Blob([Buffer.alloc(1 << 20)])), 413, /--max-upload/],
  ])('refuses %s with nothing made', async (_what, make, status, message) => {
    const before = await workspaceDirs();
    const answer = await upload({ name: `${prefix}-bad`, folder: await make() }, 'bad.tar.gz');
    expect(answer.status, answer.body).toBe(status);
    expect((JSON.parse(answer.body) as { message: string }).message).toMatch(message);
    expect(await workspaceDirs()).toEqual(before);
    expect(await workspaceContainers(`${prefix}-bad`)).toEqual([]);
    expect(await dockerOut(['volume', 'ls', '-q', '--filter', `name=devc-${prefix}-bad`])).toBe('');
    expect(existsSync('/tmp/escape')).toBe(false);
  });

  it('refuses a form with no file, a bad variant, and a missing CSRF header', async () => {
    expect((await upload({ name: 'x' })).status).toBe(400);
    expect((await upload({ variant: 'cobol' })).status).toBe(400);
    const { body, type } = await multipart({ variant: 'base' });
    const csrf = await request('/api/v1/workspaces', {
      method: 'POST',
      headers: { 'Content-Type': type },
      body,
    });
    expect(csrf.status).toBe(403);
    expect(await workspaceDirs()).not.toContainEqual(expect.stringMatching(/^base-/));
  });
});
