// Desktop editors over Remote-SSH (src/services/editors.ts): each editor's link, and how devc finds
// it on each platform, with the platform's probes answered by a table.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editorUrl, findEditor, folderUri, requireEditor, type Probe } from '../../src/services/editors.js';
import { DESKTOP_EDITORS, IDES, isDesktopEditor } from '../../src/workspace/ides.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'devc-editors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A probe that answers as the table says and records what it was asked. */
function probe(answers: Record<string, { ok: boolean; stdout?: string }>): Probe & { asked: string[] } {
  const asked: string[] = [];
  const run: Probe = (command, args) => {
    const line = [command, ...args].join(' ');
    asked.push(line);
    const answer = answers[line] ?? { ok: false };
    return Promise.resolve({ ok: answer.ok, stdout: answer.stdout ?? '' });
  };
  return Object.assign(run, { asked });
}

describe('the link each editor opens', () => {
  it.each([
    ['vscode', 'vscode://vscode-remote/ssh-remote+shop.devc/workspaces/shop'],
    ['cursor', 'cursor://vscode-remote/ssh-remote+shop.devc/workspaces/shop'],
    ['windsurf', 'windsurf://vscode-remote/ssh-remote+shop.devc/workspaces/shop'],
    ['antigravity', 'antigravity://vscode-remote/ssh-remote+shop.devc/workspaces/shop'],
  ] as const)('%s → %s', (editor, url) => {
    expect(editorUrl(editor, 'shop.devc', '/workspaces/shop')).toBe(url);
  });

  it('a folder with a space is encoded; the launchers take the vscode-remote form', () => {
    expect(editorUrl('cursor', 'a.devc', '/workspaces/my app')).toBe(
      'cursor://vscode-remote/ssh-remote+a.devc/workspaces/my%20app',
    );
    expect(folderUri('a.devc', '/workspaces/a')).toBe('vscode-remote://ssh-remote+a.devc/workspaces/a');
  });

  it('--ide takes code-server, every desktop editor and none', () => {
    expect(IDES).toEqual(['code-server', 'vscode', 'cursor', 'windsurf', 'antigravity', 'none']);
    expect(DESKTOP_EDITORS.every(isDesktopEditor)).toBe(true);
    expect(['code-server', 'none', 'emacs'].some(isDesktopEditor)).toBe(false);
  });
});

describe('finding an editor', () => {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'cursor'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'cursor'), 0o755);
  writeFileSync(path.join(bin, 'windsurf'), 'not executable');
  const env = { PATH: `/nonexistent:${bin}` };

  it('its launcher on PATH comes first, and needs no probe', async () => {
    const run = probe({});
    await expect(findEditor('cursor', env, 'linux', run)).resolves.toEqual({
      via: 'cli',
      command: path.join(bin, 'cursor'),
    });
    expect(run.asked).toEqual([]);
  });

  it.each([
    ['linux', 'xdg-mime query default x-scheme-handler/windsurf', { ok: true, stdout: 'windsurf.desktop\n' }],
    [
      'freebsd',
      'xdg-mime query default x-scheme-handler/windsurf',
      { ok: true, stdout: 'windsurf.desktop\n' },
    ],
    ['darwin', 'open -Ra Windsurf', { ok: true }],
    ['win32', 'reg query HKEY_CLASSES_ROOT\\windsurf /v URL Protocol', { ok: true }],
  ] as const)('%s: its URL handler (%s)', async (platform, question, answer) => {
    const run = probe({ [question]: answer });
    await expect(findEditor('windsurf', env, platform, run)).resolves.toEqual({ via: 'url' });
    expect(run.asked).toEqual([question]);
  });

  it('Windows never runs a launcher (.cmd needs a shell): the registry decides', async () => {
    const run = probe({});
    await expect(findEditor('cursor', env, 'win32', run)).resolves.toBeNull();
    expect(run.asked).toEqual(['reg query HKEY_CLASSES_ROOT\\cursor /v URL Protocol']);
  });

  it('xdg-mime answering with nothing is no handler', async () => {
    const run = probe({ 'xdg-mime query default x-scheme-handler/antigravity': { ok: true, stdout: '\n' } });
    await expect(findEditor('antigravity', env, 'linux', run)).resolves.toBeNull();
  });

  it.each([
    [
      'linux',
      'Antigravity is not installed here: no `antigravity` command and no handler for antigravity:// links (xdg-mime).',
    ],
    ['darwin', 'Antigravity is not installed here: no `antigravity` command and no Antigravity app.'],
    ['win32', 'Antigravity is not installed here: no handler for antigravity:// links in the registry.'],
  ] as const)('not installed on %s: one line naming it, and where to get it', async (platform, message) => {
    await expect(requireEditor('antigravity', env, platform, probe({}))).rejects.toMatchObject({
      message,
      hint: 'Install it from https://antigravity.google (with its Remote-SSH extension), or print the link with --no-open.',
    });
  });
});
